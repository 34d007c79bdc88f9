using System.CommandLine;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;

namespace MklRnn.Cli;

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
        var length = new Option<int>("--length") { Description = "Characters to generate after the prompt (at most)", DefaultValueFactory = _ => 500 };
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature (0 = greedy: always the most likely character)", DefaultValueFactory = _ => defaults.Temperature };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely characters (0 = all)", DefaultValueFactory = _ => defaults.TopK };
        var topP = new Option<float>("--top-p") { Description = "Sample among the most likely characters holding this much probability (nucleus; 1 = all)", DefaultValueFactory = _ => defaults.TopP };
        var stop = new Option<string?>("--stop") { Description = "Stop a sample before the first occurrence of this string in the continuation" };
        var count = new Option<int>("--num-samples") { Description = $"Samples to generate, each from the prompt (printed with a '{Separator}' line between them)", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampling", DefaultValueFactory = _ => defaults.Seed };
        var precision = CliOption.PrecisionOption();
        var command = new Command("sample", "Generate text from a character language model: prints the prompt and its continuation.")
        {
            checkpoint, prompt, length, temperature, topK, topP, stop, count, seed, precision,
        };
        command.SetAction(parse => CharLmVerbs.Guard("sample", parse, output =>
        {
            var options = new SamplingOptions(parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP), parse.GetValue(stop), parse.GetValue(seed));
            string[] samples = Run(parse.GetValue(checkpoint)!, parse.GetValue(prompt)!, parse.GetValue(length), options, parse.GetValue(count),
                CliOption.ParsePrecision(parse.GetValue(precision)!));
            output.WriteLine(string.Join("\n" + Separator + "\n", samples));
            return 0;
        }));
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
