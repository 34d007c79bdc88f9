using System.Globalization;

namespace MklRnn.IO;

/// <summary>
/// An <see cref="RnnConfig"/> as string metadata, with the keys of the conformance format
/// (mode, input_size, hidden_size, num_layers, bidirectional, batch_first, proj_size, peephole,
/// linear_before_reset), so a saved stack and a conformance case describe a stack the same way.
/// </summary>
public static class RnnConfigMetadata
{
    public static IEnumerable<KeyValuePair<string, string>> ToMetadata(RnnConfig config, string prefix = "")
    {
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        string B(bool v) => v ? "1" : "0";
        yield return new(prefix + "mode", config.ModeName);
        yield return new(prefix + "input_size", I(config.InputSize));
        yield return new(prefix + "hidden_size", I(config.HiddenSize));
        yield return new(prefix + "num_layers", I(config.NumLayers));
        yield return new(prefix + "bidirectional", B(config.Bidirectional));
        yield return new(prefix + "batch_first", B(config.BatchFirst));
        yield return new(prefix + "proj_size", I(config.ProjSize));
        if (config.Cell == CellKind.Lstm) yield return new(prefix + "peephole", B(config.Peephole));
        if (config.Cell == CellKind.Gru) yield return new(prefix + "linear_before_reset", B(config.LinearBeforeReset));
        yield return new(prefix + "dropout", config.Dropout.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>Reads a config back; a missing required key or a bad value is an InvalidDataException naming it.</summary>
    public static RnnConfig FromMetadata(IReadOnlyDictionary<string, string> meta, string source, string prefix = "")
    {
        string Get(string key) => meta.TryGetValue(prefix + key, out string? v) ? v
            : throw new InvalidDataException($"{source}: metadata '{prefix + key}' is missing");
        int Int(string key, int fallback)
        {
            if (!meta.TryGetValue(prefix + key, out string? v)) return fallback;
            return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r
                : throw new InvalidDataException($"{source}: metadata '{prefix + key}' = '{v}' is not an integer");
        }
        CellKind cell = Get("mode") switch
        {
            "RNN_TANH" => CellKind.RnnTanh,
            "RNN_RELU" => CellKind.RnnRelu,
            "LSTM" => CellKind.Lstm,
            "GRU" => CellKind.Gru,
            string m => throw new InvalidDataException($"{source}: metadata '{prefix}mode' = '{m}' is not RNN_TANH, RNN_RELU, LSTM or GRU"),
        };
        float dropout = meta.TryGetValue(prefix + "dropout", out string? d) && float.TryParse(d, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ? f : 0f;
        var config = new RnnConfig(cell, Int("input_size", 0), Int("hidden_size", 0), Int("num_layers", 1), Int("bidirectional", 0) == 1)
        {
            BatchFirst = Int("batch_first", 0) == 1,
            ProjSize = Int("proj_size", 0),
            Peephole = Int("peephole", 0) == 1,
            LinearBeforeReset = Int("linear_before_reset", 1) == 1,
            Dropout = dropout,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: metadata describes an invalid stack: {e.Message}", e);
        }
        return config;
    }
}
