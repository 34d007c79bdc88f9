using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MklRnn.Fuzz;

/// <summary>
/// The in-process loop for one target: pick a corpus entry, mutate it, run the target on a worker thread
/// under a deadline, and keep the mutant when its outcome is new. "New" is behavioural feedback, not code
/// coverage: the outcome's signature (exception type and message with numbers and names stripped, or
/// "ok" with the tensor count) — each distinct rejection path of the loaders has its own message, so new
/// signatures mark inputs that went somewhere new. Findings (an undocumented exception type, a run over the
/// deadline) are saved under out/findings; the input being run is always in out/TARGET.input, so a crash
/// that kills the process leaves its reproducer.
/// </summary>
internal sealed partial class FuzzLoop(FuzzTarget target, IReadOnlyList<byte[]> seeds, string outDir, int seed, TimeSpan hangLimit, TextWriter? log = null)
{
    private readonly TextWriter _log = log ?? Console.Error;
    private readonly List<byte[]> _corpus = [.. seeds];
    private readonly HashSet<string> _signatures = new(StringComparer.Ordinal);
    private readonly string _inputPath = Path.Combine(outDir, target.Name + ".input");

    public int Executions { get; private set; }
    public int Findings { get; private set; }
    public int CorpusSize => _corpus.Count;
    public int Signatures => _signatures.Count;

    [GeneratedRegex(@"'[^']*'|""[^""]*""|/[^\s:,]+|-?\d+(\.\d+)?(e[+-]?\d+)?")]
    private static partial Regex Variable();

    /// <summary>Runs until <paramref name="budget"/> has passed; false when a hang left a stuck thread (stop everything).</summary>
    public bool Run(TimeSpan budget)
    {
        var mutator = new Mutator(new Random(seed));
        var random = new Random(seed + 1);
        var clock = Stopwatch.StartNew();
        foreach (byte[] s in seeds) if (!Execute(s)) return false; // the seeds' own outcomes come first
        while (clock.Elapsed < budget)
        {
            byte[] input = mutator.Mutate(_corpus[random.Next(_corpus.Count)], _corpus);
            if (!Execute(input)) return false;
        }
        return true;
    }

    public bool Execute(byte[] input)
    {
        File.WriteAllBytes(_inputPath, input);
        Executions++;
        Exception? error = null;
        var worker = new Thread(() =>
        {
            try { target.Run(input, _inputPath); }
            catch (Exception e) { error = e; }
        }, 64 << 20) { IsBackground = true };
        worker.Start();
        if (!worker.Join(hangLimit))
        {
            Report(input, $"hang: still running after {hangLimit.TotalSeconds:0} s");
            return false;
        }
        string signature = error == null ? "ok" : error.GetType().Name + ": " + Variable().Replace(error.Message, "_");
        if (error != null && !target.Documented.Contains(error.GetType()))
            Report(input, $"undocumented {error.GetType().FullName}: {error.Message}\n{error.StackTrace}");
        if (_signatures.Add(signature)) _corpus.Add(input);
        return true;
    }

    private void Report(byte[] input, string what)
    {
        Findings++;
        string dir = Directory.CreateDirectory(Path.Combine(outDir, "findings")).FullName;
        string file = Path.Combine(dir, $"{target.Name}-{Findings}.safetensors");
        File.WriteAllBytes(file, input);
        _log.WriteLine($"FINDING {target.Name}: {what}\n  input saved as {file}");
    }
}
