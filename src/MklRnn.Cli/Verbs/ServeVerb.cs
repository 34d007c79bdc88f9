using System.CommandLine;
using MklRnn.Server;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli.Verbs;

/// <summary>`mklrnn serve --model NAME=PATH ... --port P`: the HTTP inference server with continuous batching (docs/serving.md).</summary>
internal static class ServeVerb
{
    public static Command Create()
    {
        var models = new Option<string[]>("--model") { Description = "NAME=PATH of a char-LM (train) or seq2seq (seq2seq train) checkpoint; repeat for more", Required = true, AllowMultipleArgumentsPerToken = false };
        var port = Ranged("--port", "TCP port on the loopback address (0: any free port, printed)", 8080, 0, 65535);
        var host = WithDefault("--host", "Address to listen on: loopback only", "127.0.0.1");
        var maxBatch = Ranged("--max-batch", "Generation streams batched per model (rows of one engine step)", 64, 1, 4096);
        var maxQueue = Ranged("--max-queue", "Requests waiting per model before 429", 256, 1, 1_000_000);
        var maxTokens = Ranged("--max-tokens-limit", "Largest max_tokens a request may ask for", 4096, 1, CliLimits.MaxGenerated);
        var threads = RangedOptional("--threads", "MKL threads (default: MKL's own)", 1, CliLimits.MaxThreads);
        var drain = Ranged("--drain-seconds", "On SIGTERM / Ctrl-C, how long in-flight requests may take to finish", 30.0, 0.0, 3600.0);
        var precision = PrecisionOption();
        var command = new Command("serve", "HTTP inference server (loopback): score, generate (continuous batching), translate; /metrics for Prometheus.")
        {
            models, port, host, maxBatch, maxQueue, maxTokens, threads, drain, precision,
        };
        command.SetAction(async (parse, _) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            var options = new ServerOptions
            {
                Models = (parse.GetValue(models) ?? []).Select(ServerOptions.ParseModel).ToArray(),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                MaxBatch = parse.GetValue(maxBatch),
                MaxQueue = parse.GetValue(maxQueue),
                MaxTokensLimit = parse.GetValue(maxTokens),
                Threads = parse.GetValue(threads) ?? 0,
                DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                Precision = ParsePrecision(parse.GetValue(precision)!),
            };
            await using MklRnnServer server = MklRnnServer.Create(options, output);
            try
            {
                await server.StartAsync();
            }
            catch (IOException e) // the port is taken
            {
                throw UsageError.Because($"cannot listen on 127.0.0.1:{parse.GetValue(port)}: {e.Message}");
            }
            output.WriteLine($"listening on http://127.0.0.1:{server.Port}");
            output.Flush();
            await server.WaitForShutdownAsync();
            output.WriteLine("stopped: in-flight requests drained");
            return ExitCodes.Ok;
        });
        return command;
    }
}
