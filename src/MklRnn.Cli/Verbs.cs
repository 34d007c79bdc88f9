using System.CommandLine;

namespace MklRnn.Cli;

/// <summary>The CLI's verbs, in the order `mklrnn --help` lists them.</summary>
internal static class Verbs
{
    public static IEnumerable<Command> All()
    {
        yield return ConformanceVerb.Create();
        yield return PerfCompareVerb.Create();
        yield return Seq2SeqVerb.Create();
    }
}
