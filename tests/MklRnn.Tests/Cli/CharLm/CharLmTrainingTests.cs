using System.Xml.Linq;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;
using MklRnn.IO;

namespace MklRnn.Tests.Cli.CharLm;

/// <summary>`train` end to end on a small text: checkpoints, exact resume, cancellation, the loss curve.</summary>
public class CharLmTrainingTests
{
    [Fact]
    public void ResumedRunRepeatsTheUninterruptedRunBitForBit()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        // 2 layers with dropout (masks must repeat), 14 steps across an epoch end (validation + state reset).
        TrainResult whole = Trainer.Run(CharLmFixtures.Tiny(text, folder["whole.safetensors"], steps: 14));
        Trainer.Run(CharLmFixtures.Tiny(text, folder["split.safetensors"], steps: 5));
        TrainResult resumed = Trainer.Run(CharLmFixtures.Tiny(text, folder["split.safetensors"], steps: 14) with { Resume = true });

        Assert.True(whole.Epochs > 1, $"the run should cross an epoch end, ran {whole.Epochs} epochs");
        Assert.Equal(14, resumed.Steps);
        AssertSameTensors(folder["whole.safetensors"], folder["split.safetensors"]);
        double[] losses = SafeTensorsFile.Read(folder["whole.safetensors"]).ReadInt64("train.loss").Select(BitConverter.Int64BitsToDouble).ToArray();
        Assert.Equal(14, losses.Length);
        Assert.True(losses[^1] < losses[0], $"the loss should fall: first {losses[0]}, last {losses[^1]}");
    }

    [Fact]
    public void CancellationSavesACheckpointThatResumesExactly()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        Trainer.Run(CharLmFixtures.Tiny(text, folder["whole.safetensors"], steps: 8, cell: CellKind.Gru));

        // Ctrl-C cancels this token; the trainer stops after the step in progress and saves.
        using var cancel = new CancellationTokenSource();
        TrainOptions options = CharLmFixtures.Tiny(text, folder["cut.safetensors"], steps: 8, cell: CellKind.Gru) with { CheckpointEvery = 0 };
        TrainResult cut = Trainer.Run(options, status => { if (status.Step == 4) cancel.Cancel(); }, cancel: cancel.Token);
        Assert.True(cut.Interrupted);
        Assert.Equal(4, cut.Steps);
        Assert.Equal("4", SafeTensorsFile.Read(folder["cut.safetensors"]).Metadata["train.step"]);

        Trainer.Run(options with { Resume = true });
        AssertSameTensors(folder["whole.safetensors"], folder["cut.safetensors"]);
    }

    [Fact]
    public void TrainVerbWritesACheckpointThatLoadsAndALossCurve()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        string checkpoint = folder["run/model.safetensors"];
        var (code, output, error) = CliRunner.Run("train", "--text", text, "--checkpoint", checkpoint, "--cell", "rnn",
            "--hidden", "12", "--embedding", "6", "--seq-length", "8", "--batch-size", "3", "--steps", "6", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("training summary", output);
        Assert.Contains("validation loss", output);

        var file = SafeTensorsFile.Read(checkpoint);
        Assert.Equal("mklrnn.charlm.v1", file.Metadata["format"]);
        Assert.Equal("RNN_TANH", file.Metadata["cell"]);
        Assert.Equal("12", file.Metadata["hidden_size"]);
        string[] names = ["embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias"];
        foreach (string name in names) Assert.True(file.Contains(name), name);
        int V = Vocabulary.FromText(CharLmFixtures.SmallText).Count;
        Assert.Equal([V, 6], file["embedding.weight"].Shape);
        Assert.Equal([V, 12], file["head.weight"].Shape);

        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        using (model)
        {
            Assert.Equal(V, vocabulary.Count);
            Assert.Equal(CellKind.RnnTanh, model.Spec.Cell);
        }

        string plot = folder["run/model.loss.svg"];
        XDocument svg = XDocument.Load(plot);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", svg.Root!.Name);
        Assert.NotEmpty(svg.Descendants(ns + "polyline"));
        int validations = file.ReadInt64("train.validation_step").Length;
        Assert.True(validations >= 1);
        Assert.Equal(validations + 1, svg.Descendants(ns + "circle").Count()); // one per validation, one in the legend
    }

    [Fact]
    public void ResumeRefusesATextThatChanged()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        Trainer.Run(CharLmFixtures.Tiny(text, folder["ck.safetensors"], steps: 2));
        File.AppendAllText(text, "more");
        var error = Assert.Throws<CharLmException>(() => Trainer.Run(CharLmFixtures.Tiny(text, folder["ck.safetensors"], steps: 4) with { Resume = true }));
        Assert.Contains("not the text this checkpoint was trained on", error.Message);
    }

    internal static void AssertSameTensors(string expectedPath, string actualPath)
    {
        var expected = SafeTensorsFile.Read(expectedPath);
        var actual = SafeTensorsFile.Read(actualPath);
        Assert.Equal(expected.Tensors.Select(t => t.Name).Order(), actual.Tensors.Select(t => t.Name).Order());
        foreach (SafeTensorInfo t in expected.Tensors)
        {
            // The validation history differs where the split run validated at its stop; everything else is identical.
            if (t.Name.StartsWith("train.validation", StringComparison.Ordinal)) continue;
            Assert.True(expected.GetBytes(t.Name).SequenceEqual(actual.GetBytes(t.Name)), $"tensor {t.Name} differs");
        }
    }
}
