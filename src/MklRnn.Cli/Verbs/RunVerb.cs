using System.CommandLine;
using MklRnn.Cli.Run;
using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Onnx;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli;

/// <summary>
/// <c>mklrnn run --checkpoint M --input in.safetensors --output out.safetensors [--batch-first] [--threads K] [--batch-size N]</c>:
/// offline batch inference of a recurrent stack (.onnx or .safetensors) over a file of sequences (see <see cref="ChunkedInference"/>).
/// </summary>
internal static class RunVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--checkpoint") { Description = "Model: .onnx, or .safetensors as RecurrentStack.Save writes it", Required = true }.WithOldName("--model");
        var input = new Option<string>("--input") { Description = "safetensors with 'input' (T, N, I) [, 'lengths' (N), 'h0', 'c0']", Required = true };
        var output = new Option<string>("--output") { Description = "safetensors to write: 'output', 'h_n' [, 'c_n'] (atomically)", Required = true };
        var batchFirst = new Option<bool>("--batch-first") { Description = "input and output are (N, T, F)" };
        var threads = RangedOptional("--threads", "threads (MKL's and MklRnn's side thread; default: every core)", 1, CliLimits.MaxThreads);
        var batch = Ranged("--batch-size", "sequences per chunk (sorted by length; bounds the work memory)", 256, 1, CliLimits.MaxBatch).WithOldName("--batch");
        var precision = PrecisionOption();
        var command = new Command("run", "Batch inference of a recurrent model over a safetensors file of sequences.")
        {
            model, input, output, batchFirst, threads, batch, precision,
        };
        command.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            Precision arithmetic = ParsePrecision(parse.GetValue(precision)!);
            int threadCount = parse.GetValue(threads) ?? Environment.ProcessorCount;
            using OnnxRecurrentModel loaded = LoadTimeMajor(parse.GetValue(model)!);
            MklRuntime.SetThreads(threadCount);
            loaded.Stack.UseSideThread = threadCount >= 2;
            loaded.Stack.PrepareInference(arithmetic);
            var run = new ChunkedInference(loaded, SafeTensorsFile.Read(parse.GetValue(input)!), parse.GetValue(batchFirst));
            bool bar = !Console.IsErrorRedirected;
            run.Run(parse.GetValue(batch), bar ? (done, total) => Console.Error.Write($"\rrun: chunk {done}/{total} [{new string('#', 30 * done / total),-30}]") : null);
            if (bar) Console.Error.WriteLine();
            run.Save(parse.GetValue(output)!);
            stdout.WriteLine($"wrote {parse.GetValue(output)} ({run.SequenceCount} sequences, output ({string.Join(", ", run.OutputShape)}))");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The model, its stack time-major (chunks are gathered time-major whatever the model's layout).</summary>
    private static OnnxRecurrentModel LoadTimeMajor(string path)
    {
        OnnxRecurrentModel model = Path.GetExtension(path).Equals(".onnx", StringComparison.OrdinalIgnoreCase)
            ? OnnxImporter.Load(path) : new OnnxRecurrentModel(RecurrentStack.Load(path));
        using (model)
        {
            if (model.Embedding != null || model.Head != null)
                throw new InvalidDataException($"{path}: has an embedding or a head; run takes a bare recurrent stack over float sequences");
            RecurrentStack stack = model.Stack;
            var timeMajor = new RecurrentStack(stack.Config with { BatchFirst = false });
            for (int p = 0; p < stack.Parameters.Count; p++) stack.Parameters[p].Values.CopyTo(timeMajor.Parameters[p].Data);
            return new OnnxRecurrentModel(timeMajor) { TimeReversed = model.TimeReversed, LayerReversed = model.LayerReversed };
        }
    }
}
