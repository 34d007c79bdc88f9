using System.Text.Json;

namespace MklRnn.Tooling.PerfCompare;

/// <summary>Reads a JSON file, turning I/O and syntax errors into a <see cref="PerfDataException"/> naming it.</summary>
public static class JsonFile
{
    public static JsonDocument Parse(string file)
    {
        string text;
        try
        {
            // ReadAllText drops a UTF-8 byte order mark, which BenchmarkDotNet's exporter may write.
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PerfDataException(file, $"cannot read the file ({e.Message})", e);
        }

        if (string.IsNullOrWhiteSpace(text))
            throw new PerfDataException(file, "the file is empty");

        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line
                ? $" at line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}"
                : "";
            throw new PerfDataException(file, $"malformed or truncated JSON{where}: {FirstSentence(e.Message)}", e);
        }
    }

    /// <summary>A property's value as text: strings as they are, numbers and booleans as written, null as null.</summary>
    public static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends " LineNumber: 3 | BytePositionInLine: 0." which we already report.
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }
}
