using System.Text;

namespace MklRnn.CharLm;

/// <summary>Why a generation stream ended.</summary>
public enum FinishReason { Length, Stop, Cancelled }

/// <summary>What a finished stream produced: the generated text (without the prompt or a matched stop string).</summary>
public sealed record GenerationResult(string Text, int Tokens, FinishReason Reason);

/// <summary>
/// One generation request inside a <see cref="BatchedGenerator"/>: its prompt, token budget, sampling settings
/// with its own seeded Random (what it draws does not depend on the other streams), stop strings and
/// cancellation. Text is handed out as it becomes final: characters that could still begin a stop string are held
/// back until they cannot. Completion completes (on a thread-pool thread) when the stream leaves the batch.
/// </summary>
public sealed class GenerationStream
{
    private readonly StringBuilder _text;
    private readonly string[] _stops;
    private readonly TaskCompletionSource<GenerationResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _released; // characters of _text already handed to OnText

    /// <param name="promptIds">The prompt's ids, at least one (the last is the first step's input).</param>
    /// <param name="onText">Called on the generator's thread with each piece of final text (for streaming), or null.</param>
    public GenerationStream(int[] promptIds, int maxTokens, SamplingSettings sampling, IReadOnlyList<string>? stop = null,
        Action<string>? onText = null, CancellationToken cancellation = default)
    {
        if (promptIds.Length == 0) throw new CharLmException("a generation stream needs at least one prompt id");
        if (maxTokens < 0) throw new CharLmException($"max_tokens must be >= 0, got {maxTokens}");
        sampling.Validate();
        PromptIds = promptIds;
        MaxTokens = maxTokens;
        _text = new StringBuilder(Math.Min(maxTokens, 1 << 16)); // room for the whole text: appending allocates nothing
        Sampling = sampling;
        Random = new Random(sampling.Seed);
        _stops = stop?.Where(s => s.Length > 0).ToArray() ?? [];
        OnText = onText;
        Cancellation = cancellation;
        NextInput = promptIds[^1];
    }

    public int[] PromptIds { get; }
    public int MaxTokens { get; }
    public SamplingSettings Sampling { get; }
    public CancellationToken Cancellation { get; }
    public int Tokens { get; private set; }
    public bool IsFinished => _completion.Task.IsCompleted;
    public Task<GenerationResult> Completion => _completion.Task;

    internal Random Random { get; }
    internal Action<string>? OnText { get; }

    /// <summary>The id the next step feeds: the prompt's last, then each drawn one.</summary>
    internal int NextInput { get; private set; }

    /// <summary>Takes one drawn character; ends the stream at a stop string or when the budget is used.</summary>
    internal void Accept(int id, string symbol)
    {
        Tokens++;
        NextInput = id;
        _text.Append(symbol);
        foreach (string stop in _stops)
        {
            if (EndsWith(stop))
            {
                _text.Length -= stop.Length;
                Finish(FinishReason.Stop);
                return;
            }
        }
        if (Tokens >= MaxTokens) Finish(FinishReason.Length);
        else Release(_text.Length - HeldBack());
    }

    /// <summary>Ends the stream: hands out the rest of its text and completes.</summary>
    internal void Finish(FinishReason reason)
    {
        if (IsFinished) return;
        Release(_text.Length);
        _completion.TrySetResult(new GenerationResult(_text.ToString(), Tokens, reason));
    }

    /// <summary>Ends the stream as cancelled (a request that never got a row, a shutdown past its drain time).</summary>
    public void Cancel() => Finish(FinishReason.Cancelled);

    /// <summary>Ends the stream with an engine error (the request fails, the others go on).</summary>
    public void Fail(Exception error) => _completion.TrySetException(error);

    private void Release(int upTo)
    {
        if (upTo <= _released) return;
        if (OnText != null) OnText(_text.ToString(_released, upTo - _released));
        _released = upTo;
    }

    /// <summary>Length of the longest end of the text that begins some stop string (it may still become one).</summary>
    private int HeldBack()
    {
        int held = 0;
        foreach (string stop in _stops)
            for (int n = Math.Min(stop.Length - 1, _text.Length); n > held; n--)
                if (EndsWith(stop.AsSpan(0, n))) { held = n; break; }
        return held;
    }

    private bool EndsWith(ReadOnlySpan<char> s)
    {
        if (s.Length > _text.Length) return false;
        int start = _text.Length - s.Length;
        for (int i = 0; i < s.Length; i++) if (_text[start + i] != s[i]) return false;
        return true;
    }
}
