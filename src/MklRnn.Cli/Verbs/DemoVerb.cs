using System.CommandLine;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli.Verbs;

/// <summary>
/// `mklrnn demo` (what `./build.sh demo` runs): trains a 1x256 LSTM on the default corpus for a time budget,
/// samples from it, evaluates it on the held-out text, and prints where the checkpoint and the plot are.
/// </summary>
internal static class DemoVerb
{
    public static Command Create()
    {
        var folder = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var time = Ranged("--time", "Training time budget in seconds", 110.0, 0.0, CliLimits.MaxSeconds, minExclusive: true);
        var text = new Option<string?>("--text") { Description = $"Training text; default: {Corpus.DefaultName}" };
        var command = new Command("demo", "Train a character LSTM briefly on the default corpus, then sample from it and evaluate it.") { folder, time, text };
        command.SetAction(parse => Run(parse.GetValue(folder)!, parse.GetValue(time), parse.GetValue(text), parse.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(string folder, double seconds, string? textPath, TextWriter output)
    {
        OutputPath.CheckFolder(folder, "--out");
        string checkpoint = Path.Combine(folder, "charlm.safetensors");
        output.WriteLine($"== training a character LSTM for {seconds:F0} s on {textPath ?? Corpus.DefaultName}");
        var options = new TrainOptions
        {
            CheckpointPath = checkpoint,
            Force = true, // the demo's folder holds the last demo run, replaced each time
            Settings = new TrainingSettings { TextPath = textPath },
            Budget = new TrainBudget(Seconds: seconds),
        };
        TrainResult result = TrainingDisplay.Run(options, output);

        output.WriteLine();
        output.WriteLine("== sample (temperature 0.8, prompt \"The \")");
        output.WriteLine(SampleVerb.Run(checkpoint, "The ", 400, 0.8f, 0, seed: 1));

        // The held-out text (every 20th block of the corpus, never trained on) as a file for `eval`.
        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        string heldOut = Path.Combine(folder, "heldout.txt");
        using (model)
        {
            DataSplit split = DataSplit.Of(vocabulary.Encode(Corpus.Load(textPath), textPath ?? "default corpus"));
            File.WriteAllText(heldOut, string.Concat(split.Validation.Select(id => vocabulary[id])));
        }
        output.WriteLine();
        output.WriteLine($"== eval --checkpoint {checkpoint} --text {heldOut}");
        EvalVerb.EvalResult eval = EvalVerb.Evaluate(checkpoint, heldOut);
        output.WriteLine($"perplexity {eval.Perplexity:F4}  bits/char {eval.BitsPerCharacter:F4}");
        output.WriteLine();
        output.WriteLine($"checkpoint: {Path.GetFullPath(checkpoint)}");
        output.WriteLine($"loss curve: {Path.GetFullPath(result.PlotPath)}");
        output.WriteLine($"try: dotnet src/MklRnn.Cli/bin/Release/net10.0/mklrnn.dll sample --checkpoint {checkpoint} --prompt \"Love \" --length 300");
        return 0;
    }
}
