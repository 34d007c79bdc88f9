namespace MklRnn.Server;

/// <summary>What `mklrnn serve` was asked for; <see cref="Validate"/> names the first bad option.</summary>
public sealed record ServerOptions
{
    /// <summary>NAME -> checkpoint path, in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Models { get; init; } = [];
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0: any free port (the one chosen is printed and in <see cref="MklRnnServer.Port"/>).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Rows of a model's running batch: streams generated at once.</summary>
    public int MaxBatch { get; init; } = 64;
    /// <summary>Requests waiting for a row or a batch, per model; one more is answered 429.</summary>
    public int MaxQueue { get; init; } = 256;
    /// <summary>Largest max_tokens a request may ask for.</summary>
    public int MaxTokensLimit { get; init; } = 4096;
    /// <summary>MKL threads (0: MKL's default).</summary>
    public int Threads { get; init; }
    /// <summary>Largest request body; more is 413.</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;
    /// <summary>How long SIGTERM / Ctrl-C waits for in-flight requests before cancelling them.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The recurrent GEMMs of every model served (weights converted at load; the files stay f32).</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    public void Validate()
    {
        if (Models.Count == 0) throw new ArgumentException("--model: give at least one NAME=PATH");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, path) in Models)
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                throw new ArgumentException($"--model: the name '{name}' must be non-empty letters, digits, '-', '_' or '.'");
            if (!seen.Add(name)) throw new ArgumentException($"--model: the name '{name}' is given twice");
            if (path.Length == 0) throw new ArgumentException($"--model: no path for '{name}'");
        }
        if (Host is not ("127.0.0.1" or "localhost"))
            throw new ArgumentException($"--host: only the loopback address 127.0.0.1 (or localhost) is served, got '{Host}'");
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port must be in [0, 65535], got {Port}");
        if (MaxBatch < 1 || MaxBatch > 4096) throw new ArgumentException($"--max-batch must be in [1, 4096], got {MaxBatch}");
        if (MaxQueue < 1) throw new ArgumentException($"--max-queue must be >= 1, got {MaxQueue}");
        if (MaxTokensLimit < 1) throw new ArgumentException($"--max-tokens-limit must be >= 1, got {MaxTokensLimit}");
        if (Threads < 0) throw new ArgumentException($"--threads must be >= 0 (0: MKL's default), got {Threads}");
    }

    /// <summary>Parses NAME=PATH.</summary>
    public static KeyValuePair<string, string> ParseModel(string value)
    {
        int eq = value.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--model: expected NAME=PATH, got '{value}'");
        return new(value[..eq], value[(eq + 1)..]);
    }
}
