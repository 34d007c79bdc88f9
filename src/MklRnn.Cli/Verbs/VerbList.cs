using System.CommandLine;

namespace MklRnn.Cli.Verbs;

/// <summary>The CLI's verbs, in the order `mklrnn --help` lists them.</summary>
internal static class VerbList
{
    public static IEnumerable<Command> All()
    {
        yield return TrainVerb.Create();
        yield return EvalVerb.Create();
        yield return SampleVerb.Create();
        yield return DemoVerb.Create();
        yield return Seq2SeqVerb.Create();
        yield return ClassifyVerb.Create();
        yield return ServeVerb.Create();
        yield return LoadtestVerb.Create();
        yield return ConformanceVerb.Create();
        yield return BenchVerb.Create();
        yield return ConvertVerb.Create();
        yield return RunVerb.Create();
        yield return PerfRunVerb.Create();
        yield return PerfCompareVerb.Create();
        yield return InfoVerb.Create();
    }
}
