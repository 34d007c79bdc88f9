using MklRnn.Core;
using MklRnn.Memory;
using MklRnn.Training;

namespace MklRnn.Modules;

/// <summary>
/// A linear layer followed by softmax cross-entropy over every row (torch.nn.Linear + F.cross_entropy):
/// the output layer of a language model, where a row is one time step of one sequence. Parameters
/// <c>weight</c> (V, H) and <c>bias</c> (V) with PyTorch's names, optionally prefixed ("head." gives
/// "head.weight"). Logits and their gradient live in a pooled workspace: calls of an already-seen size
/// allocate nothing. Not thread-safe: one call at a time per instance.
/// </summary>
public sealed unsafe class LinearSoftmaxHead : IParameterized, IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Workspace _logits = new("head_logits"); // (rows, V): logits, then their gradient
    private bool _disposed;

    /// <summary>Creates the head with PyTorch's nn.Linear initialisation, uniform in ±1/sqrt(H).</summary>
    /// <param name="hiddenSize">H, the width of each input row.</param>
    /// <param name="vocabularySize">V, the number of classes.</param>
    /// <param name="namePrefix">Prepended to the parameter names, e.g. "head." (may be empty).</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public LinearSoftmaxHead(int hiddenSize, int vocabularySize, string namePrefix = "", int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        ArgumentNullException.ThrowIfNull(namePrefix);
        if ((long)hiddenSize * vocabularySize > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"a ({vocabularySize}, {hiddenSize}) weight is too large");
        HiddenSize = hiddenSize;
        VocabularySize = vocabularySize;
        Weight = new Parameter(namePrefix + "weight", vocabularySize, hiddenSize);
        Bias = new Parameter(namePrefix + "bias", vocabularySize);
        _parameters = [Weight, Bias];
        ResetParameters(seed);
    }

    /// <summary>H: width of the input rows.</summary>
    public int HiddenSize { get; }

    /// <summary>V: number of classes (logits per row).</summary>
    public int VocabularySize { get; }

    /// <summary>The (V, H) weight.</summary>
    public Parameter Weight { get; }

    /// <summary>The (V) bias.</summary>
    public Parameter Bias { get; }

    /// <summary>Weight, then bias.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The result of the last <see cref="Loss"/> or <see cref="Evaluate"/> call.</summary>
    public LossResult LastResult { get; internal set; }

    /// <summary>Tokens counted by the last loss call (rows whose target is not the ignore index).</summary>
    public int LastTokenCount => LastResult.TokenCount;

    /// <summary>PyTorch's nn.Linear initialisation: weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)].</summary>
    public void ResetParameters(int seed) => ParameterInit.UniformFanIn(_parameters, HiddenSize, seed);

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in _parameters) p.ZeroGrad();
    }

    /// <summary>logits (rows, V) = hidden (rows, H) · weightᵀ + bias, one GEMM.</summary>
    public void Logits(ReadOnlySpan<float> hidden, int rows, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateRows(hidden, rows);
        Shapes.Require(nameof(logits), logits.Length, [rows, VocabularySize], "(rows, V)");
        if (rows == 0) return;
        fixed (float* pHidden = hidden, pLogits = logits)
            ComputeLogits(pHidden, rows, pLogits);
    }

    /// <summary>
    /// Softmax cross-entropy of every row against its target, and its gradients.
    /// Rows whose target equals <paramref name="ignoreIndex"/> are padding: they add nothing to the loss
    /// or the gradients and their gradHidden row is 0. Mean divides by the number of counted rows; when
    /// no row counts, the loss and every gradient are 0 (PyTorch would give NaN).
    /// Writes gradHidden (rows, H) unless it is empty, and accumulates (+=) weight.Grad and bias.Grad.
    /// </summary>
    /// <param name="hidden">(rows, H) input rows.</param>
    /// <param name="rows">Number of rows (time steps × sequences).</param>
    /// <param name="targets">(rows) class of each row in [0, V), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="reduction">Mean over counted rows, or sum.</param>
    /// <param name="gradHidden">(rows, H) receives d loss / d hidden, or empty to skip.</param>
    /// <param name="ignoreIndex">Target value marking rows to skip.</param>
    /// <returns>The reduced loss; <see cref="LastResult"/> holds the token count and perplexity.</returns>
    public float Loss(ReadOnlySpan<float> hidden, int rows, ReadOnlySpan<int> targets, LossReduction reduction,
        Span<float> gradHidden, int ignoreIndex = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateRows(hidden, rows);
        Shapes.RequireOptional(nameof(gradHidden), gradHidden.Length, [rows, HiddenSize], "(rows, H)");
        CheckReduction(reduction);
        int counted = ValidateTargets(targets, rows, ignoreIndex);
        fixed (float* pHidden = hidden, pGradHidden = gradHidden)
        fixed (int* pTargets = targets)
            LastResult = Compute(pHidden, rows, pTargets, counted, reduction, ignoreIndex, gradients: true,
                gradHidden.IsEmpty ? null : pGradHidden);
        return (float)LastResult.Loss;
    }

    /// <summary>
    /// The loss only (validation, perplexity): like <see cref="Loss"/> but touches no gradient.
    /// </summary>
    public LossResult Evaluate(ReadOnlySpan<float> hidden, int rows, ReadOnlySpan<int> targets,
        LossReduction reduction = LossReduction.Mean, int ignoreIndex = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValidateRows(hidden, rows);
        CheckReduction(reduction);
        int counted = ValidateTargets(targets, rows, ignoreIndex);
        fixed (float* pHidden = hidden)
        fixed (int* pTargets = targets)
            LastResult = Compute(pHidden, rows, pTargets, counted, reduction, ignoreIndex, gradients: false, null);
        return LastResult;
    }

    /// <summary>Loss and gradients on validated pointers (also used by <see cref="ManyToOneHead"/>).</summary>
    internal LossResult Compute(float* hidden, int rows, int* targets, int counted, LossReduction reduction,
        int ignoreIndex, bool gradients, float* gradHidden)
    {
        if (rows == 0 || counted == 0)
        {
            if (gradHidden != null) new Span<float>(gradHidden, rows * HiddenSize).Clear();
            return new LossResult(0, 0, 0);
        }
        int V = VocabularySize, H = HiddenSize;
        float* logits = _logits.Ensure((long)rows * V);
        ComputeLogits(hidden, rows, logits);

        float scale = reduction == LossReduction.Mean ? 1f / counted : 1f;
        double lossSum = 0;
        for (int r = 0; r < rows; r++)
        {
            var z = new Span<float>(logits + (long)r * V, V);
            int target = targets[r];
            if (target == ignoreIndex)
            {
                z.Clear(); // no gradient from padding rows
                continue;
            }
            float zTarget = z[target];
            double sum = Softmax.ExpShiftedInPlace(z, out float max); // z = exp(z - max)
            lossSum += Math.Log(sum) + max - zTarget;
            if (!gradients) continue;
            // d loss / d logits = scale * (softmax - onehot(target)).
            float factor = (float)(scale / sum);
            for (int j = 0; j < V; j++) z[j] *= factor;
            z[target] -= scale;
        }

        if (gradients)
        {
            // dW (V, H) += dLogitsᵀ (V, rows) · hidden (rows, H); dBias += column sums of dLogits.
            Gemm.Multiply(m: V, n: H, k: rows, Matrix.Of(logits, V).T, Matrix.Of(hidden, H),
                Matrix.Of(Weight.GradPointer, H), beta: 1f);
            var biasGrad = new Span<float>(Bias.GradPointer, V);
            for (int r = 0; r < rows; r++)
            {
                var d = new ReadOnlySpan<float>(logits + (long)r * V, V);
                for (int j = 0; j < V; j++) biasGrad[j] += d[j];
            }
            // dHidden (rows, H) = dLogits (rows, V) · W (V, H).
            if (gradHidden != null)
                Gemm.Multiply(m: rows, n: H, k: V, Matrix.Of(logits, V), Matrix.Of(Weight.DataPointer, H),
                    Matrix.Of(gradHidden, H));
        }

        double loss = reduction == LossReduction.Mean ? lossSum / counted : lossSum;
        return new LossResult(loss, counted, lossSum);
    }

    /// <summary>Throws unless every target is in [0, V) or the ignore index; returns how many count.</summary>
    internal int ValidateTargets(ReadOnlySpan<int> targets, int rows, int ignoreIndex)
    {
        if (targets.Length != rows)
            throw new ArgumentException($"{nameof(targets)}: expected ({rows}) = {rows} class indices (rows), got {targets.Length}", nameof(targets));
        int counted = 0;
        for (int r = 0; r < rows; r++)
        {
            int t = targets[r];
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(targets), t,
                    $"targets[{r}] = {t} is not a class in [0, {VocabularySize}) nor the ignore index {ignoreIndex}");
            counted++;
        }
        return counted;
    }

    private void ComputeLogits(float* hidden, int rows, float* logits)
    {
        int V = VocabularySize;
        var bias = new ReadOnlySpan<float>(Bias.DataPointer, V);
        for (int r = 0; r < rows; r++) bias.CopyTo(new Span<float>(logits + (long)r * V, V));
        Gemm.Multiply(m: rows, n: V, k: HiddenSize, Matrix.Of(hidden, HiddenSize), Matrix.Of(Weight.DataPointer, HiddenSize).T,
            Matrix.Of(logits, V), beta: 1f);
    }

    private void ValidateRows(ReadOnlySpan<float> hidden, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if ((long)rows * Math.Max(HiddenSize, VocabularySize) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows of width {Math.Max(HiddenSize, VocabularySize)} exceed one buffer");
        Shapes.Require(nameof(hidden), hidden.Length, [rows, HiddenSize], "(rows, H)");
    }

    internal static void CheckReduction(LossReduction reduction)
    {
        if (reduction is not (LossReduction.Mean or LossReduction.Sum))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "expected Mean or Sum");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _logits.Dispose();
        foreach (Parameter p in _parameters) p.Dispose();
    }
}
