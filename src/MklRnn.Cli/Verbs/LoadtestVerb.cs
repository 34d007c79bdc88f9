using System.CommandLine;
using MklRnn.CharLm;
using MklRnn.Cli.Loadtest;

namespace MklRnn.Cli;

/// <summary>
/// `mklrnn loadtest`: C concurrent clients send R requests to a running `mklrnn serve` (loopback only) and the
/// throughput and latency percentiles are printed (one JSON line with --json); with --offline --checkpoint the same
/// generation workload runs in-process through the batched generation loop, without HTTP.
/// </summary>
internal static class LoadtestVerb
{
    public const int BadInput = 2;

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Server address, loopback only (http://127.0.0.1:P)" };
        var model = new Option<string>("--model") { Description = "Model name on the server" };
        var offline = new Option<bool>("--offline") { Description = "Run the workload in-process (no HTTP) on --checkpoint" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Char-LM checkpoint for --offline" };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent clients (streams)", DefaultValueFactory = _ => 16 };
        var requests = new Option<int>("--requests") { Description = "Requests in all", DefaultValueFactory = _ => 64 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Characters generated per request", DefaultValueFactory = _ => 200 };
        var endpoint = new Option<string>("--endpoint") { Description = "generate or score", DefaultValueFactory = _ => "generate" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt of every request (the text for score)", DefaultValueFactory = _ => "The " };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (request i is seeded with i)", DefaultValueFactory = _ => 1f };
        var seconds = new Option<double>("--max-seconds") { Description = "Time bound of the whole run", DefaultValueFactory = _ => 600 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line: requests_per_s, tokens_per_s, p50_ms, p90_ms, p99_ms, errors, ..." };
        var command = new Command("loadtest", "Load test a `mklrnn serve` (or, --offline, the in-process batched generation loop): throughput and latency.")
        {
            url, model, offline, checkpoint, concurrency, requests, maxTokens, endpoint, prompt, temperature, seconds, json,
        };
        command.SetAction(async (parse, _) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            try
            {
                int c = parse.GetValue(concurrency), r = parse.GetValue(requests), m = parse.GetValue(maxTokens);
                string ep = parse.GetValue(endpoint)!;
                double bound = parse.GetValue(seconds);
                if (c < 1 || c > 4096) throw new ArgumentException($"--concurrency must be in [1, 4096], got {c}");
                if (r < 1 || r > 1_000_000) throw new ArgumentException($"--requests must be in [1, 1000000], got {r}");
                if (m < 0 || m > 100_000) throw new ArgumentException($"--max-tokens must be in [0, 100000], got {m}");
                if (ep is not ("generate" or "score")) throw new ArgumentException($"--endpoint must be generate or score, got '{ep}'");
                if (!(bound > 0 && bound <= 86400)) throw new ArgumentException($"--max-seconds must be in (0, 86400], got {bound}");
                LoadResult result;
                if (parse.GetValue(offline))
                {
                    string path = parse.GetValue(checkpoint) ?? throw new ArgumentException("--offline needs --checkpoint PATH");
                    if (ep != "generate") throw new ArgumentException("--offline runs the generate workload only");
                    var (engine, vocabulary) = CharLmFile.Load(path);
                    using (engine)
                        result = OfflineLoad.Run(engine, vocabulary, c, r, m, parse.GetValue(prompt)!, parse.GetValue(temperature), TimeSpan.FromSeconds(bound));
                }
                else
                {
                    Uri address = LoopbackUrl(parse.GetValue(url));
                    string name = parse.GetValue(model) ?? throw new ArgumentException("--model NAME is required (the server's model name)");
                    result = await HttpLoad.RunAsync(address, name, ep, c, r, m, parse.GetValue(prompt)!, parse.GetValue(temperature), TimeSpan.FromSeconds(bound));
                }
                output.WriteLine(parse.GetValue(json) ? result.ToJson() : result.ToText());
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or CharLmException)
            {
                error.WriteLine($"loadtest: error: {e.Message}");
                return BadInput;
            }
        });
        return command;
    }

    private static Uri LoopbackUrl(string? url)
    {
        if (url == null) throw new ArgumentException("--url http://127.0.0.1:P is required (or --offline)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme != "http")
            throw new ArgumentException($"--url must be an http:// address, got '{url}'");
        if (uri.Host is not ("127.0.0.1" or "localhost"))
            throw new ArgumentException($"--url must be a loopback address (127.0.0.1), got '{uri.Host}'");
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }
}
