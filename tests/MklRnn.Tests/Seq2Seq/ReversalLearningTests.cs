using MklRnn.Cli.Seq2Seq;
using MklRnn.IO;
using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

using Precision = global::MklRnn.Precision; // not the MklRnn.Tests.Precision namespace

/// <summary>
/// The worked example on a small budget: reversing held-out 8-digit strings (trained on 1-8 digits) reaches
/// at least 95% exact-sequence accuracy after 400 steps of 32 pairs, where the untrained model gets none right
/// and the trained one, deprived of its attention context, fails too.
/// Checkpoints (model and Adam state) round-trip and resume.
/// </summary>
public class ReversalLearningTests
{
    [Fact]
    public void LearnsToReverseHeldOutStrings()
    {
        ReversalOptions options = TinyTask.SmallReversal(steps: 400);
        using var trainer = new ReversalTrainer(options);
        double untrained = trainer.HeldOutAccuracy(beamWidth: 1);
        double accuracy = trainer.Train(log: null);
        Assert.True(untrained < 0.05, $"the untrained model already gets {untrained:P1} right; the task is too easy to show learning");
        Assert.True(accuracy >= 0.95, $"held-out sequence accuracy {accuracy:P1} < 95% after {options.Steps} steps");

        // Reduced-precision decoding of the same model (encoder and decoder stacks; docs/precision.md). The issue's
        // target is "unchanged to 0.5 points" on the full-size model; on these 300 strings one flipped greedy
        // decision is 0.33 points, so the margin here is 1 point (3 strings) at bf16 and int8 alike.
        foreach (Precision precision in new[] { Precision.BFloat16, Precision.Int8 })
        {
            trainer.Model.PrepareInference(precision);
            double reduced = trainer.HeldOutAccuracy(beamWidth: 1);
            Assert.True(Math.Abs(reduced - accuracy) <= 0.01, $"{precision}: held-out accuracy {reduced:P2} vs fp32 {accuracy:P2}");
        }
        trainer.Model.PrepareInference(Precision.Float32);

        // The model relies on attention: without the context half of W_c (h̃ = tanh(W_c[:, H:] h_t)) it fails.
        Parameter wc = trainer.Model.Parameters.Single(p => p.Name == "decoder.attention.W_c");
        int H = trainer.Model.Config.DecoderHiddenSize;
        Span<float> data = wc.Data;
        for (int row = 0; row < H; row++) data.Slice(row * 2 * H, H).Clear();
        double withoutContext = trainer.HeldOutAccuracy(beamWidth: 1);
        Assert.True(withoutContext < 0.2, $"without the attention context the model still gets {withoutContext:P1} right");
    }

    /// <summary>
    /// Local attention on the same budget (400 steps of 32): local-p (D = 2) must predict where to look, local-m
    /// (D = 2) only works when the alignment is monotonic, i.e. with the source reversed.
    /// </summary>
    [Theory]
    [InlineData(AttentionKind.LocalPredictive, false)]
    [InlineData(AttentionKind.LocalMonotonic, true)]
    public void LocalAttentionLearnsToReverse(AttentionKind kind, bool reverseSource)
    {
        ReversalOptions small = TinyTask.SmallReversal(steps: 400);
        ReversalOptions options = small with { Model = small.Model with { Attention = kind, Window = 2, ReverseSource = reverseSource } };
        using var trainer = new ReversalTrainer(options);
        double accuracy = trainer.Train(log: null);
        Assert.True(accuracy >= 0.95, $"{kind}{(reverseSource ? " reversed source" : "")}: held-out sequence accuracy {accuracy:P1} < 95% after {options.Steps} steps");

        // Output digit j of a reversal is source digit len - 1 - j: attention's argmax (in the source's own
        // order, whatever the encoder read) must point there, what unknown-word replacement relies on.
        int[][] sources = trainer.Task.HeldOut.Take(100).ToArray();
        var (hypotheses, alignments) = AlignedGreedyDecoder.Decode(trainer.Model, TokenBatch.From(sources, ReversalTask.Digits), options.MaxLength + 2);
        int aligned = 0, total = 0;
        for (int i = 0; i < sources.Length; i++)
            for (int j = 0; j < hypotheses[i].Tokens.Length; j++, total++)
                if (alignments[i][j] == sources[i].Length - 1 - j) aligned++;
        Assert.True(aligned >= 0.9 * total, $"attention's argmax is on the reversed position for {aligned} of {total} output digits");
    }

    [Fact]
    public void CheckpointsRecordTheAttentionAndOldOnesLoadAsGlobal()
    {
        using var folder = new TempFolder();
        string path = folder["local.safetensors"];
        Seq2SeqConfig config = TinyTask.Config("lstm_localp_general_rev") with { Window = 3 };
        using (var model = new Seq2SeqModel(config)) model.Save(path);
        using (Seq2SeqModel loaded = Seq2SeqModel.Load(path))
        {
            Assert.Equal(config, loaded.Config);
            Assert.Contains(loaded.Parameters, p => p.Name == "decoder.attention.W_p");
        }
        // A checkpoint from before local attention: no attention, window or reverse_source metadata.
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in TinyTask.Config("lstm_general").ToMetadata())
            if (key is not ("seq2seq.attention" or "seq2seq.window" or "seq2seq.reverse_source")) writer.SetMetadata(key, value);
        using (var global = new Seq2SeqModel(TinyTask.Config("lstm_general"))) StateDict.Write(writer, global);
        string old = folder["old.safetensors"];
        writer.Save(old);
        using Seq2SeqModel oldModel = Seq2SeqModel.Load(old);
        Assert.Equal(AttentionKind.Global, oldModel.Config.Attention);
        Assert.False(oldModel.Config.ReverseSource);
    }

    [Fact]
    public void CheckpointRoundTripsModelAndOptimizer()
    {
        ReversalOptions options = TinyTask.SmallReversal(steps: 35);
        using var folder = new TempFolder();
        string path = folder["model.safetensors"];
        using var trainer = new ReversalTrainer(options);
        trainer.Train(log: null, stopAt: 30);
        trainer.Model.Save(path, trainer.Optimizer);
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        using Seq2SeqModel loaded = Seq2SeqModel.Load(file);
        Assert.Equal(trainer.Model.Config, loaded.Config);
        for (int i = 0; i < loaded.Parameters.Count; i++)
        {
            Assert.Equal(trainer.Model.Parameters[i].Name, loaded.Parameters[i].Name);
            Assert.True(trainer.Model.Parameters[i].Values.SequenceEqual(loaded.Parameters[i].Values), loaded.Parameters[i].Name);
        }
        // Resuming restores the step count, the schedule position and Adam's moments: five more steps give
        // the parameters of an uninterrupted 35-step run.
        using var resumed = new ReversalTrainer(options, loaded);
        Seq2SeqModel.LoadOptimizerState(file, resumed.Optimizer);
        Assert.Equal(30, resumed.Optimizer.StepCount);
        resumed.Train(log: null);
        using var straight = new ReversalTrainer(options);
        straight.Train(log: null);
        for (int i = 0; i < loaded.Parameters.Count; i++)
        {
            ReadOnlySpan<float> want = straight.Model.Parameters[i].Values, got = resumed.Model.Parameters[i].Values;
            for (int j = 0; j < want.Length; j++)
                Assert.True(Math.Abs(want[j] - got[j]) <= 1e-5f, $"{loaded.Parameters[i].Name}[{j}]: resumed {got[j]} vs straight {want[j]}");
        }
    }

    [Fact]
    public void LoadRejectsAFileThatIsNotASeq2SeqModel()
    {
        using var folder = new TempFolder();
        string path = folder["model.safetensors"];
        var writer = new SafeTensorsWriter();
        writer.Add("x", [1], [1f]);
        writer.Save(path);
        var e = Assert.Throws<InvalidDataException>(() => Seq2SeqModel.Load(path));
        Assert.Contains("seq2seq.cell", e.Message);
    }
}
