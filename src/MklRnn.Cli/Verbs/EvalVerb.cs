using System.CommandLine;
using System.Globalization;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;

namespace MklRnn.Cli;

/// <summary>`mklrnn eval --checkpoint F --text PATH`: prints `perplexity X` of the text under the model.</summary>
internal static class EvalVerb
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Model file or training checkpoint", Required = true };
        var text = new Option<string>("--text") { Description = "Text to evaluate (UTF-8), read as one stream from a zero state", Required = true };
        var command = new Command("eval", "Perplexity of a text under a character language model: prints `perplexity X`.") { checkpoint, text };
        command.SetAction(parse => CharLmVerbs.Guard("eval", parse, output =>
        {
            double perplexity = Run(parse.GetValue(checkpoint)!, parse.GetValue(text)!);
            output.WriteLine($"perplexity {perplexity.ToString("F4", CultureInfo.InvariantCulture)}");
            return 0;
        }));
        return command;
    }

    public static double Run(string checkpointPath, string textPath)
    {
        var (model, vocabulary) = CharLmFile.Load(checkpointPath);
        using (model)
        {
            string text = Corpus.LoadFile(textPath);
            return Evaluator.Perplexity(model, vocabulary.Encode(text, textPath));
        }
    }
}
