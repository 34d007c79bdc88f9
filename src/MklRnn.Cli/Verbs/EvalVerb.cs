using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;

namespace MklRnn.Cli.Verbs;

/// <summary>`mklrnn eval --checkpoint F --text PATH`: prints the perplexity of the text under the model and its bits per character.</summary>
internal static class EvalVerb
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Model file or training checkpoint", Required = true };
        var text = new Option<string>("--text") { Description = "Text to evaluate (UTF-8), read as one stream from a zero state", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: perplexity, bits_per_char, characters" };
        var allowInvalid = new Option<bool>("--allow-invalid-utf8") { Description = "Read invalid UTF-8 bytes as U+FFFD instead of refusing the text" };
        var precision = CliOption.PrecisionOption();
        var command = new Command("eval", "Perplexity and bits per character of a text under a character language model.") { checkpoint, text, json, allowInvalid, precision };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            EvalResult result = Evaluate(parse.GetValue(checkpoint)!, parse.GetValue(text)!, parse.GetValue(allowInvalid),
                CliOption.ParsePrecision(parse.GetValue(precision)!));
            output.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new { perplexity = result.Perplexity, bits_per_char = result.BitsPerCharacter, characters = result.Characters })
                : $"perplexity {result.Perplexity.ToString("F4", CultureInfo.InvariantCulture)}  bits/char {result.BitsPerCharacter.ToString("F4", CultureInfo.InvariantCulture)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Perplexity over the text's characters after the first; bits per character = log2(perplexity).</summary>
    public readonly record struct EvalResult(double Perplexity, int Characters)
    {
        public double BitsPerCharacter => Math.Log2(Perplexity);
    }

    public static EvalResult Evaluate(string checkpointPath, string textPath, bool allowInvalidUtf8 = false, Precision precision = Precision.Float32)
    {
        var (model, vocabulary) = CharLmFile.Load(checkpointPath);
        using (model)
        {
            model.PrepareInference(precision);
            int[] ids = vocabulary.Encode(Corpus.LoadFile(textPath, allowInvalidUtf8), textPath);
            return new EvalResult(Evaluator.Perplexity(model, ids), ids.Length);
        }
    }

    public static double Run(string checkpointPath, string textPath) => Evaluate(checkpointPath, textPath).Perplexity;
}
