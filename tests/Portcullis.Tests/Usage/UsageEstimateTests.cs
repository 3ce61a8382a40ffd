using Portcullis.Usage;
using Portcullis.Usage.Tokens;

namespace Portcullis.Tests.Usage;

public sealed class UsageEstimateTests
{
    private static int Fail() => throw new InvalidOperationException("The count was not needed.");

    [Fact]
    public void A_full_report_of_a_finished_answer_stands_and_nothing_is_counted()
    {
        var reported = new TokenUsage(10, 5, 15, CachedPromptTokens: 4);

        Assert.Equal(reported, UsageEstimate.Complete(reported, answerFinished: true, Fail, Fail));
    }

    [Fact]
    public void No_report_at_all_is_counted_and_marked_estimated()
    {
        TokenUsage usage = UsageEstimate.Complete(default, answerFinished: false, () => 120, () => 37);

        Assert.Equal(new TokenUsage(120, 37, 157, null, Estimated: true), usage);
    }

    [Fact]
    public void A_cut_stream_whose_last_report_lags_keeps_the_larger_counted_output()
    {
        // Anthropic's message_start reports output_tokens 1; the stream was cut after much more.
        var reported = new TokenUsage(130, 1, 131, CachedPromptTokens: 100);

        TokenUsage usage = UsageEstimate.Complete(reported, answerFinished: false, Fail, () => 57);

        Assert.Equal(new TokenUsage(130, 57, 187, 100, Estimated: true), usage);
    }

    [Fact]
    public void A_cut_stream_whose_report_is_larger_than_the_count_keeps_the_report()
    {
        var reported = new TokenUsage(130, 60, 190);

        Assert.Equal(reported, UsageEstimate.Complete(reported, answerFinished: false, Fail, () => 57));
    }

    [Fact]
    public void Only_the_missing_prompt_is_counted()
    {
        TokenUsage usage = UsageEstimate.Complete(new TokenUsage(null, 9, null), answerFinished: true, () => 40, Fail);

        Assert.Equal(new TokenUsage(40, 9, 49, null, Estimated: true), usage);
    }
}
