using MklRnn.Cli.CharLm;
using MklRnn.Interop;

namespace MklRnn.Tests.Cli;

/// <summary>train --threads sets MKL's threads as bench --threads does (MklRuntime.SetThreads: exactly that many, dynamic off).</summary>
public class TrainThreadsTests
{
    [Fact]
    public void TrainThreadsGoThroughMklRuntime()
    {
        int threadsBefore = MklRuntime.MaxThreads;
        bool dynamicBefore = Mkl.GetDynamic();
        try
        {
            Mkl.SetDynamic(true);
            using var folder = new TempFolder();
            string text = CharLmFixtures.WriteText(folder);
            Trainer.Run(CharLmFixtures.Tiny(text, folder["ck.safetensors"], steps: 1) with { Threads = 1 });
            Assert.Equal(1, MklRuntime.MaxThreads);
            Assert.False(Mkl.GetDynamic()); // Mkl.SetNumThreads alone (the old path) left it on
        }
        finally
        {
            MklRuntime.SetThreads(threadsBefore);
            Mkl.SetDynamic(dynamicBefore);
        }
    }
}
