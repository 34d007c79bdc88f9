using System.CommandLine;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;

namespace MklRnn.Cli;

/// <summary>`mklrnn sample --checkpoint F`: generates text from a prompt with temperature and top-k.</summary>
internal static class SampleVerb
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Model file or training checkpoint", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to start from (every character must be in the model's vocabulary)", DefaultValueFactory = _ => "" };
        var length = new Option<int>("--length") { Description = "Characters to generate after the prompt", DefaultValueFactory = _ => 500 };
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature (0 = most likely character)", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely characters (0 = all)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampling", DefaultValueFactory = _ => 1 };
        var command = new Command("sample", "Generate text from a character language model: prints the prompt and its continuation.")
        {
            checkpoint, prompt, length, temperature, topK, seed,
        };
        command.SetAction(parse => CharLmVerbs.Guard("sample", parse, output =>
        {
            output.WriteLine(Run(parse.GetValue(checkpoint)!, parse.GetValue(prompt)!, parse.GetValue(length),
                parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed)));
            return 0;
        }));
        return command;
    }

    public static string Run(string checkpointPath, string prompt, int length, float temperature, int topK, int seed)
    {
        var (model, vocabulary) = CharLmFile.Load(checkpointPath);
        using (model)
            return new Sampler(model, vocabulary).Generate(prompt, length, temperature, topK, seed);
    }
}
