using System.CommandLine;
using MklRnn.CharLm;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli;

/// <summary>`mklrnn sample --checkpoint F`: generates text from a prompt with temperature and top-k.</summary>
internal static class SampleVerb
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Model file or training checkpoint", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to start from (every character must be in the model's vocabulary)", DefaultValueFactory = _ => "" };
        var length = Ranged("--length", "Characters to generate after the prompt", 500, 0, CliLimits.MaxGenerated);
        var temperature = Ranged("--temperature", "Softmax temperature (0 = most likely character)", 0.8f, 0f, 100f);
        var topK = Ranged("--top-k", "Sample among the k most likely characters (0 = all)", 0, 0, CliLimits.MaxGenerated);
        var seed = Ranged("--seed", "Seed of the sampling", 1, 0, int.MaxValue);
        var command = new Command("sample", "Generate text from a character language model: prints the prompt and its continuation.")
        {
            checkpoint, prompt, length, temperature, topK, seed,
        };
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(Run(parse.GetValue(checkpoint)!, parse.GetValue(prompt)!, parse.GetValue(length),
                parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed)));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Run(string checkpointPath, string prompt, int length, float temperature, int topK, int seed)
    {
        var (model, vocabulary) = CharLmFile.Load(checkpointPath);
        using (model)
            return new Sampler(model, vocabulary).Generate(prompt, length, temperature, topK, seed);
    }
}
