using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace MklRnn.Cli;

/// <summary>
/// Option building the verbs share. Every numeric option is made by <see cref="Ranged{T}"/> or
/// <see cref="RangedOptional{T}"/>: its range is shown by --help and checked at parse time, so an out-of-range
/// value is a usage error (exit 2) naming the flag before any work starts (docs/cli.md).
/// </summary>
internal static class CliOption
{
    /// <summary>An option with a description and a default value (shown by --help).</summary>
    public static Option<T> WithDefault<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>A numeric option with a default, accepted only in [min, max] ((min, max] when minExclusive).</summary>
    public static Option<T> Ranged<T>(string name, string description, T defaultValue, T min, T max, bool minExclusive = false)
        where T : struct, INumber<T>
    {
        var option = WithDefault(name, $"{description} {RangeText(min, max, minExclusive)}", defaultValue);
        option.Validators.Add(result =>
        {
            if (Converted<T>(result) is T value) Check(result, name, value, min, max, minExclusive);
        });
        return option;
    }

    /// <summary>A numeric option without a default (null when absent), accepted only in [min, max].</summary>
    public static Option<T?> RangedOptional<T>(string name, string description, T min, T max, bool minExclusive = false)
        where T : struct, INumber<T>
    {
        var option = new Option<T?>(name) { Description = $"{description} {RangeText(min, max, minExclusive)}" };
        option.Validators.Add(result =>
        {
            if (Converted<T>(result) is T value) Check(result, name, value, min, max, minExclusive);
        });
        return option;
    }

    /// <summary>A text option accepting one of a fixed set of words (shown by --help, checked at parse time).</summary>
    public static Option<string> OneOf(string name, string description, string defaultValue, params string[] choices)
    {
        var option = WithDefault(name, $"{description}: {string.Join(" | ", choices)}", defaultValue);
        option.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>() ?? "";
            if (!choices.Contains(value, StringComparer.Ordinal))
                result.AddError($"{name} must be one of {string.Join(", ", choices)}, got '{value}'");
        });
        return option;
    }

    /// <summary>A second spelling kept for scripts written against an older name (docs/cli.md lists only the first).</summary>
    public static Option<T> WithOldName<T>(this Option<T> option, string oldName)
    {
        option.Aliases.Add(oldName);
        return option;
    }

    public static string RangeText<T>(T min, T max, bool minExclusive = false) where T : INumber<T> =>
        string.Create(CultureInfo.InvariantCulture, $"{(minExclusive ? "(" : "[")}{min}, {max}]");

    /// <summary>The option's value, or null when the text did not convert (the parser already reports that error).</summary>
    private static T? Converted<T>(System.CommandLine.Parsing.OptionResult result) where T : struct
    {
        try
        {
            return result.GetValueOrDefault<T?>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static void Check<T>(System.CommandLine.Parsing.OptionResult result, string name, T value, T min, T max, bool minExclusive)
        where T : struct, INumber<T>
    {
        bool aboveMin = minExclusive ? value > min : value >= min;
        if (!(aboveMin && value <= max)) // also false for NaN
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be in {RangeText(min, max, minExclusive)}, got {value}"));
    }

    /// <summary>
    /// --precision f32|bf16|int8 of an inference verb (default f32): the arithmetic of the recurrent GEMMs,
    /// applied when the float32 model is loaded (docs/precision.md). Training verbs do not take it.
    /// </summary>
    public static Option<string> PrecisionOption() =>
        OneOf("--precision", "recurrent GEMMs at inference (weights quantized at load; the file stays f32)", "f32", "f32", "bf16", "int8");

    /// <summary>The engine's precision for a --precision value (checked at parse time by <see cref="PrecisionOption"/>).</summary>
    public static Precision ParsePrecision(string value) =>
        Tooling.Bench.BenchOptions.Precisions.TryGetValue(value, out Precision p) ? p
            : throw UsageError.Because($"--precision must be f32, bf16 or int8, got '{value}'");

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
