using MklRnn.CharLm;
using MklRnn.Training;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// `--lr-schedule` and its parameters, turned into one of the library's schedules: constant, cosine (to 0 over the
/// run's step budget), step (x gamma every StepSize steps) or plateau (x gamma after Patience + 1 validations
/// without improvement), each behind an optional linear warm-up of WarmupSteps steps. The step index is the run's
/// step (skipped steps included), so a resumed run and the metrics file see the same rate.
/// </summary>
internal sealed record LearningRatePlan
{
    public static readonly string[] Names = ["constant", "cosine", "step", "plateau"];

    public string Name { get; init; } = "constant";
    public long WarmupSteps { get; init; }
    public float Gamma { get; init; } = 0.5f;
    public long StepSize { get; init; } = 1000;
    public int Patience { get; init; } = 2;

    public void Validate()
    {
        if (!Names.Contains(Name)) throw new CharLmException($"--lr-schedule must be one of {string.Join(", ", Names)}, got '{Name}'");
        if (WarmupSteps < 0) throw new CharLmException($"--warmup must be >= 0 steps, got {WarmupSteps}");
        if (!(Gamma > 0 && Gamma < 1)) throw new CharLmException($"--lr-gamma must be in (0, 1), got {Gamma}");
        if (StepSize < 1) throw new CharLmException($"--lr-step must be >= 1 step, got {StepSize}");
        if (Patience < 0) throw new CharLmException($"--lr-patience must be >= 0 validations, got {Patience}");
    }

    /// <summary>
    /// The schedule for a run at <paramref name="learningRate"/>; <paramref name="totalSteps"/> (the step budget) is
    /// needed by cosine only. A plateau schedule has replayed <paramref name="validationLosses"/> (the run's history).
    /// </summary>
    public (ILearningRateSchedule Schedule, PlateauSchedule? Plateau) Create(float learningRate, long? totalSteps, IEnumerable<double> validationLosses)
    {
        PlateauSchedule? plateau = null;
        ILearningRateSchedule schedule = Name switch
        {
            "cosine" => new CosineSchedule(learningRate, totalSteps
                ?? throw new CharLmException("--lr-schedule cosine decays over the run's length: give --steps or --epochs")),
            "step" => new StepDecaySchedule(learningRate, StepSize, Gamma),
            "plateau" => plateau = new PlateauSchedule(learningRate, Gamma, Patience),
            _ => new ConstantSchedule(learningRate),
        };
        if (plateau != null)
            foreach (double loss in validationLosses) plateau.Report(loss);
        return (WarmupSteps > 0 ? new WarmupSchedule(schedule, WarmupSteps) : schedule, plateau);
    }

    public override string ToString() => Name switch
    {
        "step" => $"step (x{Gamma} every {StepSize} steps)",
        "plateau" => $"plateau (x{Gamma} after {Patience + 1} validations without improvement)",
        _ => Name,
    } + (WarmupSteps > 0 ? $", warm-up {WarmupSteps} steps" : "");
}
