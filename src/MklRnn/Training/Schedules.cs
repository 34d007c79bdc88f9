namespace MklRnn.Training;

/// <summary>Argument checks shared by the schedules and optimizers.</summary>
internal static class Schedules
{
    public static void CheckRate(float rate, string name)
    {
        if (!(rate >= 0) || !float.IsFinite(rate))
            throw new ArgumentOutOfRangeException(name, rate, "a learning rate must be finite and >= 0");
    }
}
