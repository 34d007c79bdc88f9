using System.CommandLine;
using MklRnn.CharLm;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli.Verbs;

/// <summary>`mklrnn sample --checkpoint F`: generates text from a prompt with temperature, top-k, top-p and a stop string.</summary>
internal static class SampleVerb
{
    /// <summary>The line between samples when --num-samples is above 1.</summary>
    public const string Separator = "----";

    public static Command Create()
    {
        var defaults = new SamplingOptions();
        var checkpoint = new Option<string>("--checkpoint") { Description = "Model file or training checkpoint", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to start from (every character must be in the model's vocabulary)", DefaultValueFactory = _ => "" };
        var length = Ranged("--length", "Characters to generate after the prompt (at most)", 500, 0, CliLimits.MaxGenerated);
        var temperature = Ranged("--temperature", "Softmax temperature (0 = greedy: always the most likely character)", defaults.Temperature, 0f, 100f);
        var topK = Ranged("--top-k", "Sample among the k most likely characters (0 = all)", defaults.TopK, 0, CliLimits.MaxGenerated);
        var topP = Ranged("--top-p", "Sample among the most likely characters holding this much probability (nucleus; 1 = all)", defaults.TopP, 0f, 1f, minExclusive: true);
        var stop = new Option<string?>("--stop") { Description = "Stop a sample before the first occurrence of this string in the continuation" };
        var count = Ranged("--num-samples", $"Samples to generate, each from the prompt (printed with a '{Separator}' line between them)", 1, 1, 10_000);
        var seed = Ranged("--seed", "Seed of the sampling", defaults.Seed, 0, int.MaxValue);
        var precision = CliOption.PrecisionOption();
        var command = new Command("sample", "Generate text from a character language model: prints the prompt and its continuation.")
        {
            checkpoint, prompt, length, temperature, topK, topP, stop, count, seed, precision,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            var options = new SamplingOptions(parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP), parse.GetValue(stop), parse.GetValue(seed));
            string[] samples = Run(parse.GetValue(checkpoint)!, parse.GetValue(prompt)!, parse.GetValue(length), options, parse.GetValue(count),
                CliOption.ParsePrecision(parse.GetValue(precision)!));
            output.WriteLine(string.Join("\n" + Separator + "\n", samples));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><paramref name="count"/> samples from one seed: sample i continues the random draws of sample i - 1.</summary>
    public static string[] Run(string checkpointPath, string prompt, int length, SamplingOptions options, int count = 1,
        Precision precision = Precision.Float32)
    {
        if (count < 1) throw new CharLmException($"--num-samples must be >= 1, got {count}");
        options.Validate();
        var (model, vocabulary) = CharLmFile.Load(checkpointPath);
        using (model)
        {
            model.PrepareInference(precision);
            var sampler = new Sampler(model, vocabulary);
            var random = new Random(options.Seed);
            return Enumerable.Range(0, count).Select(_ => sampler.Generate(prompt, length, options, random)).ToArray();
        }
    }

    public static string Run(string checkpointPath, string prompt, int length, float temperature, int topK, int seed) =>
        Run(checkpointPath, prompt, length, new SamplingOptions(temperature, topK, Seed: seed))[0];
}
