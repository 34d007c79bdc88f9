using System.CommandLine;
using MklRnn.CharLm;
using MklRnn.Cli.Loadtest;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli.Verbs;

/// <summary>
/// `mklrnn loadtest`: C concurrent clients send R requests to a running `mklrnn serve` (loopback only) and the
/// throughput and latency percentiles are printed (one JSON line with --json); with --offline --checkpoint the same
/// generation workload runs in-process through the batched generation loop, without HTTP.
/// </summary>
internal static class LoadtestVerb
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Server address, loopback only (http://127.0.0.1:P)" };
        var model = new Option<string>("--model") { Description = "Model name on the server" };
        var offline = new Option<bool>("--offline") { Description = "Run the workload in-process (no HTTP) on --checkpoint" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Char-LM checkpoint for --offline" };
        var concurrency = Ranged("--concurrency", "Concurrent clients (streams)", 16, 1, 4096);
        var requests = Ranged("--requests", "Requests in all", 64, 1, 1_000_000);
        var warmUp = RangedOptional("--warmup", "Requests run before the clock starts, then a wait until neither side JIT-compiles (default: --concurrency; 0: none)", 0, 1_000_000);
        var maxTokens = Ranged("--max-tokens", "Characters generated per request", 200, 0, 100_000);
        var endpoint = OneOf("--endpoint", "What each request asks for", "generate", "generate", "score");
        var prompt = WithDefault("--prompt", "Prompt of every request (the text for score)", "The ");
        var temperature = Ranged("--temperature", "Sampling temperature (request i is seeded with i)", 1f, 0f, 100f);
        var seconds = Ranged("--max-seconds", "Time bound of the whole run", 600.0, 0.0, 86_400.0, minExclusive: true);
        var json = new Option<bool>("--json") { Description = "Print one JSON line: requests_per_s, tokens_per_s, p50_ms, p90_ms, p99_ms, errors, ..." };
        var command = new Command("loadtest", "Load test a `mklrnn serve` (or, --offline, the in-process batched generation loop): throughput and latency.")
        {
            url, model, offline, checkpoint, concurrency, requests, warmUp, maxTokens, endpoint, prompt, temperature, seconds, json,
        };
        command.SetAction(async (parse, _) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            int c = parse.GetValue(concurrency), r = parse.GetValue(requests), m = parse.GetValue(maxTokens);
            string ep = parse.GetValue(endpoint)!;
            var bound = TimeSpan.FromSeconds(parse.GetValue(seconds));
            LoadResult result;
            if (parse.GetValue(offline))
            {
                string path = parse.GetValue(checkpoint) ?? throw UsageError.Because("--offline needs --checkpoint PATH");
                if (ep != "generate") throw UsageError.Because("--offline runs the generate workload only");
                var (engine, vocabulary) = CharLmFile.Load(path);
                using (engine)
                    result = OfflineLoad.Run(engine, vocabulary, c, r, parse.GetValue(warmUp) ?? c, m, parse.GetValue(prompt)!, parse.GetValue(temperature), bound);
            }
            else
            {
                Uri address = LoopbackUrl(parse.GetValue(url));
                string name = parse.GetValue(model) ?? throw UsageError.Because("--model NAME is required (the server's model name)");
                result = await HttpLoad.RunAsync(address, name, ep, c, r, parse.GetValue(warmUp) ?? c, m, parse.GetValue(prompt)!, parse.GetValue(temperature), bound);
            }
            output.WriteLine(parse.GetValue(json) ? result.ToJson() : result.ToText());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Uri LoopbackUrl(string? url)
    {
        if (url == null) throw UsageError.Because("--url http://127.0.0.1:P is required (or --offline)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme != "http")
            throw UsageError.Because($"--url must be an http:// address, got '{url}'");
        if (uri.Host is not ("127.0.0.1" or "localhost"))
            throw UsageError.Because($"--url must be a loopback address (127.0.0.1), got '{uri.Host}'");
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }
}
