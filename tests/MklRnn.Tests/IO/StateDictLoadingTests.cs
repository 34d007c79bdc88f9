using MklRnn.IO;
using MklRnn.Layers;

namespace MklRnn.Tests.IO;

/// <summary>
/// Issue 10 item 5 and issue 11 item 5: a plain PyTorch state_dict loads without metadata
/// (<see cref="RecurrentStack.FromStateDict"/>), LoadWeights is strict by default, and a file's metadata is
/// checked against its header before anything is built. Fixtures: IO/fixtures/make_state_dicts.py (torch 1.13).
/// </summary>
public sealed class StateDictLoadingTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name + ".safetensors");

    public static TheoryData<string, string?, RnnConfig> Fixtures => new()
    {
        { "sd_lstm_proj_bi_2l", null, new RnnConfig(CellKind.Lstm, 4, 6, 2, bidirectional: true) { ProjSize = 3 } },
        { "sd_gru_2l", null, new RnnConfig(CellKind.Gru, 5, 4, 2) },
        { "sd_rnn_relu_bi", "relu", new RnnConfig(CellKind.RnnRelu, 3, 4, 1, bidirectional: true) },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FromStateDict_InfersTheArchitecture_AndMatchesPyTorchsOutput(string name, string? nonlinearity, RnnConfig expected)
    {
        using var stack = RecurrentStack.FromStateDict(Fixture(name), prefix: "rnn.", nonlinearity: nonlinearity);
        Assert.Equal(expected, stack.Config);
        SafeTensorsFile file = SafeTensorsFile.Read(Fixture(name));
        float[] input = file.ReadFloat32("expected.input"), reference = file.ReadFloat32("expected.output");
        int T = file["expected.input"].Shape[0], N = file["expected.input"].Shape[1];
        var output = new float[reference.Length];
        stack.Forward(input, T, N, output);
        for (int k = 0; k < output.Length; k++)
            Assert.True(Math.Abs(output[k] - reference[k]) <= 1e-5f + 1e-4f * Math.Abs(reference[k]), $"output[{k}] = {output[k]}, PyTorch {reference[k]}");
    }

    [Fact]
    public void FromStateDict_TheNonlinearityIsTheOneAmbiguity()
    {
        using var tanh = RecurrentStack.FromStateDict(Fixture("sd_rnn_relu_bi"), "rnn.");
        Assert.Equal(CellKind.RnnTanh, tanh.Config.Cell); // PyTorch's default when not told
        Assert.Throws<ArgumentException>(() => RecurrentStack.FromStateDict(Fixture("sd_rnn_relu_bi"), "rnn.", nonlinearity: "sigmoid"));
        Assert.Throws<ArgumentException>(() => RecurrentStack.FromStateDict(Fixture("sd_gru_2l"), "rnn.", nonlinearity: "relu"));
        using var original = RecurrentStack.FromStateDict(Fixture("sd_gru_2l"), "rnn.", linearBeforeReset: false);
        Assert.False(original.Config.LinearBeforeReset);
    }

    [Fact]
    public void FromStateDict_WithoutTheRightPrefix_SaysWhatItFound()
    {
        var e = Assert.Throws<InvalidDataException>(() => RecurrentStack.FromStateDict(Fixture("sd_gru_2l")));
        Assert.Contains("under the prefix ''", e.Message);
        Assert.Contains("rnn.weight_ih_l0", e.Message);
    }

    [Fact]
    public void LoadWeights_IsStrictByDefault_AndListsEveryUnexpectedTensor()
    {
        using var small = new RecurrentStack(new RnnConfig(CellKind.Lstm, 4, 6) { ProjSize = 3 }, seed: 1);
        float[] before = small.Parameters[0].Values.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => small.LoadWeights(Fixture("sd_lstm_proj_bi_2l"), "rnn."));
        foreach (string name in new[] { "rnn.weight_ih_l1", "rnn.weight_ih_l0_reverse", "rnn.weight_hr_l1_reverse" })
            Assert.Contains(name, e.Message);
        Assert.DoesNotContain("head.weight", e.Message); // outside the prefix: not this module's business
        Assert.Contains("strict: false", e.Message);
        Assert.Equal(before, small.Parameters[0].Values.ToArray()); // a refused file loads nothing

        StateDictMismatch mismatch = small.LoadWeights(Fixture("sd_lstm_proj_bi_2l"), "rnn.", strict: false);
        Assert.Empty(mismatch.Missing);
        Assert.Contains("rnn.weight_hh_l1_reverse", mismatch.Unexpected);
        Assert.Equal(SafeTensorsFile.Read(Fixture("sd_lstm_proj_bi_2l")).ReadFloat32("rnn.weight_ih_l0"), small["weight_ih_l0"].Values.ToArray());
    }

    [Fact]
    public void LoadWeights_NonStrict_SkipsMissingTensors_ButNeverAWrongShape()
    {
        using var bigger = new RecurrentStack(new RnnConfig(CellKind.Gru, 5, 4, 3), seed: 1);
        float[] layer2 = bigger["weight_ih_l2"].Values.ToArray();
        Assert.Contains("rnn.weight_ih_l2", Assert.Throws<InvalidDataException>(() => bigger.LoadWeights(Fixture("sd_gru_2l"), "rnn.")).Message);
        StateDictMismatch mismatch = bigger.LoadWeights(Fixture("sd_gru_2l"), "rnn.", strict: false);
        Assert.Equal(4, mismatch.Missing.Count);
        Assert.Equal(layer2, bigger["weight_ih_l2"].Values.ToArray());
        using var wider = new RecurrentStack(new RnnConfig(CellKind.Gru, 6, 4, 2));
        Assert.Contains("expected (12, 6)", Assert.Throws<InvalidDataException>(() => wider.LoadWeights(Fixture("sd_gru_2l"), "rnn.", strict: false)).Message);
    }

    public static TheoryData<RnnConfig> Configs => new()
    {
        new RnnConfig(CellKind.Lstm, 3, 5, 2, bidirectional: true) { ProjSize = 2, Peephole = true },
        new RnnConfig(CellKind.Gru, 4, 3, 3) { LinearBeforeReset = false },
        new RnnConfig(CellKind.RnnRelu, 2, 7, 1, bidirectional: true),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void ExpectedTensors_AreTheStacksParameters(RnnConfig config)
    {
        using var stack = new RecurrentStack(config, namePrefix: "enc.");
        Assert.Equal(stack.Parameters.Select(p => (p.Name, p.Shape.ToArray())), StackTensors.Expected(config, "enc."));
        // And a saved stack's state_dict infers back to the same architecture (peepholes included).
        using var temp = new TempFolder();
        var writer = new SafeTensorsWriter();
        StateDict.Write(writer, stack);
        writer.Save(temp["sd.safetensors"]);
        Assert.Equal(config with { }, StackTensors.Infer(SafeTensorsFile.Read(temp["sd.safetensors"]), "enc.",
            config.Cell == CellKind.RnnRelu ? "relu" : null, config.LinearBeforeReset));
    }

    [Theory]
    [InlineData("num_layers", "100000", "needs 400000 tensors")]
    [InlineData("num_layers", "2147483647", "num_layers")]
    [InlineData("hidden_size", "2000000000", "2^30")]
    [InlineData("hidden_size", "5", "'weight_hh_l0' has shape (16, 4), expected (20, 5)")]
    [InlineData("input_size", "-3", "input size")]
    public void Load_ChecksMetadataAgainstTheHeader_BeforeBuildingAnything(string key, string value, string expectedText)
    {
        using var temp = new TempFolder();
        var config = new RnnConfig(CellKind.Lstm, 3, 4);
        using (var stack = new RecurrentStack(config)) stack.Save(temp["ok.safetensors"]);
        SafeTensorsFile good = SafeTensorsFile.Read(temp["ok.safetensors"]);
        var writer = new SafeTensorsWriter();
        foreach (var (k, v) in good.Metadata) writer.SetMetadata(k, k == key ? value : v);
        foreach (SafeTensorInfo t in good.Tensors) writer.Add(t.Name, t.Shape, good.ReadFloat32(t.Name));
        writer.Save(temp["lying.safetensors"]);

        // The message comes from the header check that runs before the stack is built (building 100,000 layers
        // took 45 s and 6.8 GB before it).
        var e = Assert.Throws<InvalidDataException>(() => RecurrentStack.Load(temp["lying.safetensors"]));
        Assert.Contains(expectedText, e.Message);
    }
}
