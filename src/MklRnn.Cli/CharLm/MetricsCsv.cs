using System.Globalization;
using System.Text;
using MklRnn.IO;
using MklRnn.Training;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// NAME.metrics.csv beside the checkpoint: one row per training step, for plotting and comparing runs -- step, epoch
/// (fractional), mean training loss of the step (nats per character), validation perplexity and bits per character
/// (only on the rows where validation ran, else empty), learning rate, global gradient norm before clipping, and
/// training characters per second this session. A skipped (non-finite) step shows NaN loss or norm. A resumed run
/// first drops the rows past its checkpoint's step (written after the last save), so rows never repeat a step.
/// </summary>
internal sealed class MetricsCsv : IDisposable
{
    public const string Header = "step,epoch,train_loss,val_perplexity,val_bits_per_char,lr,grad_norm,chars_per_s";

    private readonly StreamWriter _writer;

    private MetricsCsv(StreamWriter writer) => _writer = writer;

    /// <summary>Starts the file: a new run replaces it, a resumed run keeps its rows up to <paramref name="resumeStep"/>.</summary>
    public static MetricsCsv Open(string path, long? resumeStep)
    {
        var kept = new StringBuilder(Header + "\n");
        if (resumeStep is long last && File.Exists(path))
            foreach (string line in File.ReadLines(path).Skip(1))
                if (long.TryParse(line.Split(',')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) && step <= last)
                    kept.Append(line).Append('\n');
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(kept.ToString())));
        return new MetricsCsv(new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)));
    }

    /// <summary>Appends one step's row; validation loss NaN = not measured at this step.</summary>
    public void Write(long step, double epoch, double trainLoss, double validationLoss, float learningRate, double gradNorm, double charsPerSecond)
    {
        string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        bool validated = !double.IsNaN(validationLoss);
        _writer.Write(string.Join(',',
            F(step, "0"), F(epoch, "0.####"), F(trainLoss, "R"),
            validated ? F(Perplexity.FromMeanLoss(validationLoss), "R") : "", validated ? F(Perplexity.BitsFromMeanLoss(validationLoss), "R") : "",
            F(learningRate, "R"), F(gradNorm, "R"), F(charsPerSecond, "0")));
        _writer.Write('\n');
    }

    /// <summary>Pushes the rows so far to the file (at each checkpoint and at the end).</summary>
    public void Flush() => _writer.Flush();

    public void Dispose() => _writer.Dispose();
}
