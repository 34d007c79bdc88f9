using System.CommandLine;
using MklRnn.Server;

namespace MklRnn.Cli;

/// <summary>`mklrnn serve --model NAME=PATH ... --port P`: the HTTP inference server with continuous batching (docs/serving.md).</summary>
internal static class ServeVerb
{
    public const int BadInput = 2;

    public static Command Create()
    {
        var models = new Option<string[]>("--model") { Description = "NAME=PATH of a char-LM (train) or seq2seq (seq2seq train) checkpoint; repeat for more", Required = true, AllowMultipleArgumentsPerToken = false };
        var port = new Option<int>("--port") { Description = "TCP port on the loopback address (0: any free port, printed)", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to listen on: loopback only", DefaultValueFactory = _ => "127.0.0.1" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Generation streams batched per model (rows of one engine step)", DefaultValueFactory = _ => 64 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests waiting per model before 429", DefaultValueFactory = _ => 256 };
        var maxTokens = new Option<int>("--max-tokens-limit") { Description = "Largest max_tokens a request may ask for", DefaultValueFactory = _ => 4096 };
        var threads = new Option<int>("--threads") { Description = "MKL threads (0: MKL's default)", DefaultValueFactory = _ => 0 };
        var drain = new Option<double>("--drain-seconds") { Description = "On SIGTERM / Ctrl-C, how long in-flight requests may take to finish", DefaultValueFactory = _ => 30 };
        var precision = CliOption.PrecisionOption();
        var command = new Command("serve", "HTTP inference server (loopback): score, generate (continuous batching), translate; /metrics for Prometheus.")
        {
            models, port, host, maxBatch, maxQueue, maxTokens, threads, drain, precision,
        };
        command.SetAction(async (parse, _) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
            MklRnnServer server;
            try
            {
                if (!(parse.GetValue(drain) is >= 0 and <= 3600)) throw new ArgumentException($"--drain-seconds must be in [0, 3600], got {parse.GetValue(drain)}");
                var options = new ServerOptions
                {
                    Models = (parse.GetValue(models) ?? []).Select(ServerOptions.ParseModel).ToArray(),
                    Host = parse.GetValue(host)!,
                    Port = parse.GetValue(port),
                    MaxBatch = parse.GetValue(maxBatch),
                    MaxQueue = parse.GetValue(maxQueue),
                    MaxTokensLimit = parse.GetValue(maxTokens),
                    Threads = parse.GetValue(threads),
                    DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
                    Precision = CliOption.ParsePrecision(parse.GetValue(precision)!),
                };
                server = MklRnnServer.Create(options, output);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException)
            {
                error.WriteLine($"serve: error: {e.Message}");
                return BadInput;
            }
            await using (server)
            {
                try
                {
                    await server.StartAsync();
                }
                catch (IOException e) // the port is taken
                {
                    error.WriteLine($"serve: error: cannot listen on 127.0.0.1:{parse.GetValue(port)}: {e.Message}");
                    return BadInput;
                }
                output.WriteLine($"listening on http://127.0.0.1:{server.Port}");
                output.Flush();
                await server.WaitForShutdownAsync();
                output.WriteLine("stopped: in-flight requests drained");
            }
            return 0;
        });
        return command;
    }
}
