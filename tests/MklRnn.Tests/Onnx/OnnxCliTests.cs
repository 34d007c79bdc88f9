using Google.Protobuf;
using MklRnn.CharLm;
using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Onnx;

namespace MklRnn.Tests.Onnx;

/// <summary>`mklrnn convert` and `mklrnn run` end to end, in-process through the real command tree.</summary>
public class OnnxCliTests
{
    private static float[] Random(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    [Fact]
    public void Convert_safetensors_to_onnx_and_back_through_the_cli()
    {
        using var folder = new TempFolder();
        using (var stack = new RecurrentStack(new RnnConfig(CellKind.Gru, 3, 5, 2, true), seed: 2)) stack.Save(folder["a.safetensors"]);
        var (code, output, error) = CliRunner.Run("convert", "--from", folder["a.safetensors"], "--to", folder["m.onnx"]);
        Assert.True(code == 0, error);
        Assert.Contains("GRU, 2 layer(s), bidirectional", output);
        (code, _, error) = CliRunner.Run("convert", "--from", folder["m.onnx"], "--to", folder["b.safetensors"]);
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllBytes(folder["a.safetensors"]), File.ReadAllBytes(folder["b.safetensors"]));
    }

    [Fact]
    public void Convert_refuses_unknown_extensions_and_keeps_existing_files()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["m.onnx"], "not a model");
        File.WriteAllText(folder["keep.safetensors"], "precious");
        var (code, _, error) = CliRunner.Run("convert", "--from", folder["m.onnx"], "--to", folder["keep.safetensors"]);
        Assert.Equal(2, code); // bad input (docs/cli.md)
        Assert.Contains("truncated or corrupt", error);
        Assert.Equal("precious", File.ReadAllText(folder["keep.safetensors"]));
        (code, _, error) = CliRunner.Run("convert", "--from", folder["m.onnx"], "--to", folder["x.pt"]);
        Assert.Equal(2, code);
        Assert.Contains("expected .onnx or .safetensors", error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_matches_one_forward_over_the_whole_batch(bool batchFirst)
    {
        using var folder = new TempFolder();
        const int T = 6, N = 5, I = 3, H = 4;
        var config = new RnnConfig(CellKind.Lstm, I, H, 2, true);
        var random = new Random(4);
        float[] input = Random(random, T * N * I), h0 = Random(random, 4 * N * H), c0 = Random(random, 4 * N * H);
        int[] lengths = [3, 6, 1, 5, 6];
        var expected = new float[T * N * 2 * H];
        var hN = new float[4 * N * H];
        var cN = new float[4 * N * H];
        using (var stack = new RecurrentStack(config with { BatchFirst = batchFirst }, seed: 9))
        {
            stack.Forward(input, T, N, expected, h0, c0, hN, cN, lengths);
            OnnxExporter.Save(new OnnxRecurrentModel(stack, ownsModules: false), folder["m.onnx"]);
        }
        var writer = new SafeTensorsWriter();
        writer.Add("input", batchFirst ? [N, T, I] : [T, N, I], input);
        writer.AddInt64("lengths", [N], lengths.Select(l => (long)l).ToArray());
        writer.Add("h0", [4, N, H], h0);
        writer.Add("c0", [4, N, H], c0);
        writer.Save(folder["in.safetensors"]);

        var args = new List<string> { "run", "--model", folder["m.onnx"], "--input", folder["in.safetensors"], "--output", folder["out.safetensors"], "--batch-size", "2" }; // default --threads: MKL's thread count is process-wide
        if (batchFirst) args.Add("--batch-first");
        var (code, _, error) = CliRunner.Run(args.ToArray());
        Assert.True(code == 0, error);

        SafeTensorsFile result = SafeTensorsFile.Read(folder["out.safetensors"]);
        Assert.Equal(batchFirst ? [N, T, 2 * H] : [T, N, 2 * H], result["output"].Shape.ToArray());
        // Chunks are sorted by length and shorter than T: results equal the single batched forward up to GEMM rounding.
        Assert.True(OrtSession.MaxAbsDifference(expected, result.ReadFloat32("output")) <= 1e-6f);
        Assert.True(OrtSession.MaxAbsDifference(hN, result.ReadFloat32("h_n")) <= 1e-6f);
        Assert.True(OrtSession.MaxAbsDifference(cN, result.ReadFloat32("c_n")) <= 1e-6f);
    }

    [Fact]
    public void Run_and_convert_of_a_reverse_layer_over_a_forward_one()
    {
        using var folder = new TempFolder();
        string model = Path.Combine(AppContext.BaseDirectory, "onnx-fixtures", "keras_lstm_forward_then_reverse_opset13.onnx");
        const int T = 5, N = 3, I = 3, H = 4;
        float[] input = Random(new Random(8), N * T * I);
        var writer = new SafeTensorsWriter();
        writer.Add("input", [N, T, I], input);
        writer.Save(folder["in.safetensors"]);
        var (code, _, error) = CliRunner.Run("run", "--model", model, "--input", folder["in.safetensors"], "--output", folder["out.safetensors"], "--batch-first", "--batch-size", "2");
        Assert.True(code == 0, error);

        SafeTensorsFile result = SafeTensorsFile.Read(folder["out.safetensors"]);
        var ort = OrtSession.Run(File.ReadAllBytes(model), ("input_1", input, [N, T, I]));
        Assert.True(OrtSession.MaxAbsDifference(ort["sequences"], result.ReadFloat32("output")) <= 1e-5f);
        Assert.True(OrtSession.MaxAbsDifference(ort["state"], result.ReadFloat32("h_n").AsSpan(N * H)) <= 1e-5f); // h_n (2, N, H): the reverse layer's

        // A .safetensors stack cannot say that a layer runs reversed: refused, nothing written.
        (code, _, error) = CliRunner.Run("convert", "--from", model, "--to", folder["m.safetensors"]);
        Assert.Equal(2, code);
        Assert.Contains("direction 'reverse', which a .safetensors stack (PyTorch's layout) cannot express", error);
        Assert.False(File.Exists(folder["m.safetensors"]));
    }

    [Fact]
    public void Run_names_the_tensor_and_the_shape_it_expected()
    {
        using var folder = new TempFolder();
        using (var stack = new RecurrentStack(new RnnConfig(CellKind.RnnTanh, 3, 4), seed: 1)) stack.Save(folder["m.safetensors"]);
        var writer = new SafeTensorsWriter();
        writer.Add("input", [2, 2, 7], new float[28]);
        writer.Save(folder["in.safetensors"]);
        var (code, _, error) = CliRunner.Run("run", "--model", folder["m.safetensors"], "--input", folder["in.safetensors"], "--output", folder["out.safetensors"]);
        Assert.Equal(2, code);
        Assert.Contains("'input' has shape (2, 2, 7), expected (T, N, 3)", error);
        Assert.False(File.Exists(folder["out.safetensors"]));
    }

    [Fact]
    public void Char_lm_checkpoint_converts_to_onnx_that_ort_runs_like_the_model()
    {
        using var folder = new TempFolder();
        var vocabulary = new Vocabulary(["a", "b", "c", " ", "d"]);
        const int T = 4, N = 2;
        using var model = new CharLmModel(new CharLmSpec(CellKind.Lstm, vocabulary.Count, 6, 8, 2), seed: 3);
        var writer = new SafeTensorsWriter();
        CharLmFile.Add(writer, model, vocabulary);
        writer.Save(folder["lm.safetensors"]);
        var (code, _, error) = CliRunner.Run("convert", "--from", folder["lm.safetensors"], "--to", folder["lm.onnx"]);
        Assert.True(code == 0, error);

        int[] ids = [0, 1, 2, 3, 4, 0, 2, 1];
        var embedded = new float[T * N * 6];
        model.Embedding.Forward(ids, embedded);
        var hidden = new float[T * N * 8];
        model.Rnn.Forward(embedded, T, N, hidden);
        var logits = new float[T * N * vocabulary.Count];
        model.Head.Logits(hidden, T * N, logits);

        var ort = OrtSession.Run(File.ReadAllBytes(folder["lm.onnx"]), ("input", ids.Select(i => (long)i).ToArray(), [T, N]));
        Assert.True(OrtSession.MaxAbsDifference(logits, ort["logits"]) <= 1e-5f);
        var onnx = OnnxFile.Read(folder["lm.onnx"]);
        Assert.Equal(vocabulary.ToJson(), onnx.MetadataProps.Single(p => p.Key == CharLmOnnx.VocabularyKey).Value);
        using OnnxRecurrentModel back = OnnxImporter.Load(folder["lm.onnx"]);
        Assert.Equal(model.Head.Weight.Values.ToArray(), back.Head!.Weight.Values.ToArray());
        Assert.Equal(model.Embedding.Weight.Values.ToArray(), back.Embedding!.Weight.Values.ToArray());

        // And back to a char-LM model file, byte for byte.
        (code, _, error) = CliRunner.Run("convert", "--from", folder["lm.onnx"], "--to", folder["back.safetensors"]);
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllBytes(folder["lm.safetensors"]), File.ReadAllBytes(folder["back.safetensors"]));
    }
}

/// <summary>`mklrnn bench --engine onnxruntime`: the harness's RESULT line with engine onnxruntime, after ORT's output was checked against MklRnn's.</summary>
public class OrtBenchEngineTests
{
    [Fact]
    public void Bench_engine_onnxruntime_prints_the_result_line()
    {
        var (code, output, error) = CliRunner.Run("bench", "--engine", "onnxruntime", "--cell", "gru", "--T", "6", "--N", "3", "--I", "8", "--H", "8",
            "--dirs", "2", "--layers", "2", "--lengths", "uniform", "--iters", "2", "--warmup", "1", "--min-time", "0", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("RESULT {\"engine\":\"onnxruntime\",\"cell\":\"gru\"", output);
    }

    [Fact]
    public void Bench_engine_onnxruntime_refuses_training_with_the_protocols_exit_4()
    {
        var (code, _, error) = CliRunner.Run("bench", "--engine", "onnxruntime", "--mode", "train", "--T", "2", "--N", "1", "--I", "4", "--H", "4");
        Assert.Equal(4, code);
        Assert.Contains("inference only", error);
    }
}
