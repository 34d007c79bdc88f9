namespace MklRnn.Tests.Tooling.Bench;

/// <summary>Runs `mklrnn bench ...` in-process (<see cref="CliRunner"/>), and builds the harness's argument lists.</summary>
internal static class BenchVerbRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args) => CliRunner.Run(["bench", .. args]);

    /// <summary>
    /// A tiny, fast shape with the harness's full argument list. extra: "--option value" pairs replace the default
    /// value of that option (options may appear once), a lone flag ("--no-gemm-only") is appended.
    /// </summary>
    public static string[] Tiny(params string[] extra)
    {
        var values = new List<(string Option, string? Value)>
        {
            ("--cell", "lstm"), ("--mode", "infer"), ("--T", "5"), ("--N", "3"), ("--I", "4"), ("--H", "6"),
            ("--layers", "1"), ("--dirs", "1"), ("--threads", "1"), ("--iters", "3"), ("--warmup", "1"),
            ("--min-time", "0"), ("--shape", "tiny"), ("--json", null),
        };
        for (int i = 0; i < extra.Length; i++)
        {
            bool hasValue = i + 1 < extra.Length && !extra[i + 1].StartsWith("--", StringComparison.Ordinal);
            string? value = hasValue ? extra[++i] : null;
            int at = values.FindIndex(v => v.Option == extra[hasValue ? i - 1 : i]);
            if (at >= 0) values[at] = (values[at].Option, value);
            else values.Add((extra[hasValue ? i - 1 : i], value));
        }
        return values.SelectMany(v => v.Value == null ? new[] { v.Option } : new[] { v.Option, v.Value }).ToArray();
    }
}
