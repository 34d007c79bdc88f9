namespace MklRnn.Server;

/// <summary>A request the server refuses: the HTTP status, the JSON field at fault (or null) and why.</summary>
public sealed class ApiException(int status, string? field, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string? Field { get; } = field;

    public static ApiException BadField(string field, string message) => new(StatusCodes.Status400BadRequest, field, $"{field}: {message}");
}
