namespace MklRnn.Seq2Seq;

/// <summary>
/// A decoder driven one token at a time over a fixed set of rows (hypotheses), the primitive that greedy
/// decoding and beam search are written on, and that users can drive for their own decoding (sampling,
/// constraints). The state of each row is StateSize floats, row-major (Rows, StateSize), owned by the
/// caller: reordering hypotheses is copying rows.
/// </summary>
public interface IStepDecoder
{
    /// <summary>Rows stepped at once.</summary>
    int Rows { get; }

    /// <summary>Rows per source sequence: row r decodes source r / RowsPerSource.</summary>
    int RowsPerSource { get; }

    /// <summary>V: logits per row.</summary>
    int VocabularySize { get; }

    /// <summary>Floats of state per row.</summary>
    int StateSize { get; }

    /// <summary>The first input token of every row.</summary>
    int StartToken { get; }

    /// <summary>The token that ends a hypothesis.</summary>
    int EndToken { get; }

    /// <summary>Writes the state every row starts from, (Rows, StateSize).</summary>
    void InitialState(Span<float> state);

    /// <summary>Feeds tokens (Rows) with state (Rows, StateSize); writes logits (Rows, V) and nextState (may alias state).</summary>
    void Step(ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState);

    /// <summary>
    /// Steps only some rows (ascending, distinct, in [0, Rows)), as one batch: tokens, state, logits and
    /// nextState hold those rows in that order (rows.Length of each). Finished hypotheses then cost nothing.
    /// </summary>
    void Step(ReadOnlySpan<int> rows, ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState);
}
