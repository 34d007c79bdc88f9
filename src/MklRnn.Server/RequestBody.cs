using System.Text.Json;

namespace MklRnn.Server;

/// <summary>
/// A request's JSON object, read within the size limit (more is 413), with typed accessors that throw an
/// <see cref="ApiException"/> naming the field: missing, wrong type, or out of range. Unknown fields are refused
/// too, so a misspelt option is an error rather than silently the default.
/// </summary>
public sealed class RequestBody
{
    private readonly JsonElement _root;

    private RequestBody(JsonElement root) => _root = root;

    public static async Task<RequestBody> ReadAsync(HttpRequest request, int maxBytes, IReadOnlyCollection<string> knownFields)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(buffer.ToArray());
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, null, $"the body is not valid JSON: {e.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new ApiException(StatusCodes.Status400BadRequest, null, $"the body must be a JSON object, got {root.ValueKind}");
        foreach (JsonProperty p in root.EnumerateObject())
            if (!knownFields.Contains(p.Name))
                throw ApiException.BadField(p.Name, $"unknown field (expected one of {string.Join(", ", knownFields)})");
        return new RequestBody(root);
    }

    private static ApiException TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, null, $"the body is larger than the limit of {maxBytes} bytes");

    public string RequiredString(string field) =>
        TryGet(field, out JsonElement e) ? StringOf(field, e) : throw ApiException.BadField(field, "is required (a string)");

    public string? OptionalString(string field) => TryGet(field, out JsonElement e) ? StringOf(field, e) : null;

    public int Int(string field, int defaultValue, int min, int max)
    {
        if (!TryGet(field, out JsonElement e)) return defaultValue;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v))
            throw ApiException.BadField(field, $"must be an integer, got {Describe(e)}");
        if (v < min || v > max) throw ApiException.BadField(field, $"must be in [{min}, {max}], got {v}");
        return (int)v;
    }

    /// <summary>A required integer (max_tokens has no sensible default to hide a forgotten field behind).</summary>
    public int RequiredInt(string field, int min, int max) =>
        TryGet(field, out _) ? Int(field, 0, min, max) : throw ApiException.BadField(field, $"is required (an integer in [{min}, {max}])");

    public double Number(string field, double defaultValue)
    {
        if (!TryGet(field, out JsonElement e)) return defaultValue;
        if (e.ValueKind != JsonValueKind.Number) throw ApiException.BadField(field, $"must be a number, got {Describe(e)}");
        return e.GetDouble();
    }

    public bool Bool(string field, bool defaultValue)
    {
        if (!TryGet(field, out JsonElement e)) return defaultValue;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiException.BadField(field, $"must be true or false, got {Describe(e)}"),
        };
    }

    /// <summary>A string or an array of strings (OpenAI's "stop").</summary>
    public string[] Strings(string field)
    {
        if (!TryGet(field, out JsonElement e)) return [];
        if (e.ValueKind == JsonValueKind.String) return [e.GetString()!];
        if (e.ValueKind != JsonValueKind.Array || e.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
            throw ApiException.BadField(field, $"must be a string or an array of strings, got {Describe(e)}");
        return e.EnumerateArray().Select(x => x.GetString()!).ToArray();
    }

    private bool TryGet(string field, out JsonElement value) =>
        _root.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null;

    private static string StringOf(string field, JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw ApiException.BadField(field, $"must be a string, got {Describe(e)}");

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => e.GetRawText().Length > 40 ? e.ValueKind.ToString() : e.GetRawText(),
    };
}
