using System.Globalization;
using MklRnn.Fuzz;

// mklrnn-fuzz [--seconds N] [--target NAME] [--corpus DIR] [--out DIR] [--seed S] [--replay FILE] | --write-seeds DIR
// Fuzzes every loader (FuzzTargets.All) for N seconds in all (split evenly), from the seed corpus.
// Exit 0: no finding; 1: a finding (undocumented exception type, hang over 5 s); 2: usage error.
// A crash (signal) ends the process: its input is in OUT/TARGET.input.
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2) options[args[i]] = args[i + 1];
if (args.Length % 2 != 0 || options.Keys.Any(k => k is not ("--seconds" or "--target" or "--corpus" or "--out" or "--seed" or "--replay" or "--write-seeds")))
{
    Console.Error.WriteLine("usage: mklrnn-fuzz [--seconds N] [--target NAME] [--corpus DIR] [--out DIR] [--seed S] [--replay FILE] | --write-seeds DIR");
    Console.Error.WriteLine("targets: " + string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
    return 2;
}
if (options.TryGetValue("--write-seeds", out string? seedDir))
{
    SeedCorpus.Write(seedDir);
    Console.WriteLine($"seed corpus written to {seedDir}");
    return 0;
}
string root = FindRoot();
double seconds = double.Parse(options.GetValueOrDefault("--seconds", "60"), CultureInfo.InvariantCulture);
string corpusDir = options.GetValueOrDefault("--corpus", Path.Combine(root, "fuzz", "corpus"));
string outDir = Directory.CreateDirectory(options.GetValueOrDefault("--out", Path.Combine(root, "fuzz", "out"))).FullName;
int seed = int.Parse(options.GetValueOrDefault("--seed", "1"), CultureInfo.InvariantCulture);
FuzzTarget[] targets = options.TryGetValue("--target", out string? only)
    ? FuzzTargets.All.Where(t => t.Name == only).ToArray() : FuzzTargets.All;
if (targets.Length == 0)
{
    Console.Error.WriteLine($"unknown target '{only}'; targets: " + string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
    return 2;
}
byte[][] seeds = options.TryGetValue("--replay", out string? replay)
    ? [File.ReadAllBytes(replay)]
    : Directory.GetFiles(corpusDir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
if (seeds.Length == 0)
{
    Console.Error.WriteLine($"no seed inputs in {corpusDir}");
    return 2;
}

MklRnn.MklRuntime.SetThreads(1); // one loader at a time; MKL's team would only add noise
int findings = 0;
var budget = TimeSpan.FromSeconds(replay != null ? 0 : seconds / targets.Length);
foreach (FuzzTarget target in targets)
{
    var loop = new FuzzLoop(target, seeds, outDir, seed, hangLimit: TimeSpan.FromSeconds(5));
    bool finished = loop.Run(budget);
    findings += loop.Findings;
    Console.WriteLine($"{target.Name,-20} {loop.Executions,8} runs  {loop.Signatures,4} outcomes  corpus {loop.CorpusSize,4}  findings {loop.Findings}");
    if (!finished) return 1; // a hung thread cannot be stopped: report and end
}
Console.WriteLine(findings == 0 ? "fuzz: no findings" : $"fuzz: {findings} findings (inputs under {outDir}/findings)");
return findings == 0 ? 0 : 1;

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MklRnn.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
