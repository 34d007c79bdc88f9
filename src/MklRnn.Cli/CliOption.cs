using System.CommandLine;

namespace MklRnn.Cli;

/// <summary>Option building the verbs share.</summary>
internal static class CliOption
{
    /// <summary>An option with a description and a default value (shown by --help).</summary>
    public static Option<T> WithDefault<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>
    /// --precision f32|bf16|int8 of an inference verb (default f32): the arithmetic of the recurrent GEMMs,
    /// applied when the float32 model is loaded (docs/precision.md). Training verbs do not take it.
    /// </summary>
    public static Option<string> PrecisionOption() =>
        WithDefault("--precision", "recurrent GEMMs at inference: f32 | bf16 | int8 (weights quantized at load; the file stays f32)", "f32");

    /// <summary>The engine's precision for a --precision value, or a clear error naming the choices.</summary>
    public static Precision ParsePrecision(string value) =>
        Bench.BenchOptions.Precisions.TryGetValue(value, out Precision p) ? p
            // InvalidDataException: the error every verb's guard reports as a bad-input line (as run's other flags).
            : throw new InvalidDataException($"--precision must be f32, bf16 or int8, got '{value}'");

    /// <summary>
    /// A hidden --precision on a training verb that only refuses, at parse time, with the reason: training runs
    /// in f32 (the parser's "unrecognized option" would not say why or where the flag belongs).
    /// </summary>
    public static Option<string> TrainingPrecisionRefusal()
    {
        var option = new Option<string>("--precision") { Hidden = true };
        option.Validators.Add(result => result.AddError(
            "--precision: training runs in f32 only; reduced precision is for inference (eval, sample, run, seq2seq decode)"));
        return option;
    }
}
