using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Tests.Training;

public class DropoutTests
{
    [Fact]
    public void TrainingDropsAboutPAndScalesSurvivorsEvaluationIsIdentity()
    {
        using var dropout = new Dropout(0.25f, seed: 3);
        var input = Enumerable.Range(0, 8000).Select(i => 1f + i % 7).ToArray();
        var output = new float[input.Length];
        dropout.Forward(input, output, training: true);
        int dropped = 0;
        for (int i = 0; i < input.Length; i++)
        {
            if (output[i] == 0) dropped++;
            else Assert.Equal(input[i] / 0.75f, output[i], 5);
        }
        Assert.InRange(dropped / (double)input.Length, 0.22, 0.28);

        dropout.Forward(input, output, training: false);
        Assert.Equal(input, output);
    }

    [Fact]
    public void BackwardUsesTheForwardMaskAndReseedingRepeatsMasks()
    {
        using var dropout = new Dropout(0.5f, seed: 1);
        var input = Enumerable.Repeat(2f, 64).ToArray();
        var first = new float[64];
        dropout.Forward(input, first, training: true);
        var grad = Enumerable.Repeat(1f, 64).ToArray();
        var gradInput = new float[64];
        dropout.Backward(grad, gradInput);
        for (int i = 0; i < 64; i++) Assert.Equal(first[i] / 2f, gradInput[i]); // mask = output / input

        dropout.Reseed(1);
        var again = new float[64];
        dropout.Forward(input, again, training: true);
        Assert.Equal(first, again);
        dropout.Forward(input, again, training: true);
        Assert.NotEqual(first, again);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(-0.1f));
        using var dropout = new Dropout(0.1f);
        Assert.Throws<InvalidOperationException>(() => dropout.Backward(new float[3], new float[3]));
        var e = Assert.Throws<ArgumentException>(() => dropout.Forward(new float[3], new float[4], training: true));
        Assert.Equal("output", e.ParamName);
        dropout.Forward(new float[3], new float[3], training: true);
        Assert.Equal("gradOutput", Assert.Throws<ArgumentException>(() => dropout.Backward(new float[2], new float[2])).ParamName);
    }
}
