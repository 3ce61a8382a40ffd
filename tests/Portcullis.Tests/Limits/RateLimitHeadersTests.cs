using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Portcullis.Limits;

namespace Portcullis.Tests.Limits;

public sealed class RateLimitHeadersTests
{
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ms")]
    [InlineData(200_000L, "20ms")]
    [InlineData(9_990_000L, "999ms")]
    [InlineData(10_000_000L, "1s")]
    [InlineData(15_000_000L, "1.5s")]
    [InlineData(86_400_000L, "8.64s")]
    [InlineData(599_995_000L, "1m0s")]
    [InlineData(612_500_000L, "1m1.25s")]
    [InlineData(3_600_000_000L, "6m0s")]
    [InlineData(36_000_000_000L, "1h0m0s")]
    [InlineData(6_048_000_000_000L, "168h0m0s")]
    public void Reset_durations_are_written_the_way_openai_writes_them(long ticks, string expected)
    {
        Assert.Equal(expected, RateLimitHeaders.FormatDuration(TimeSpan.FromTicks(ticks)));
    }

    [Theory]
    [InlineData(1L, "1", "1")]
    [InlineData(2_000_000L, "1", "200")]
    [InlineData(10_000_000L, "1", "1000")]
    [InlineData(10_010_000L, "2", "1001")]
    [InlineData(600_000_000L, "60", "60000")]
    public void Retry_after_is_whole_seconds_rounded_up_and_never_zero(long ticks, string seconds, string milliseconds)
    {
        var headers = new HeaderDictionary();

        RateLimitHeaders.ApplyRetryAfter(headers, TimeSpan.FromTicks(ticks));

        Assert.Equal(seconds, headers["Retry-After"].ToString());
        Assert.Equal(milliseconds, headers["retry-after-ms"].ToString());
    }

    [Fact]
    public void Both_kinds_write_limit_remaining_and_reset()
    {
        var headers = new HeaderDictionary();
        var snapshot = new RateSnapshot(
            new RateWindowStatus(60, 59, TimeSpan.FromSeconds(1)),
            new RateWindowStatus(150_000, 149_984, TimeSpan.FromMinutes(6)));

        RateLimitHeaders.Apply(headers, snapshot);

        Assert.Equal("60", headers["x-ratelimit-limit-requests"].ToString());
        Assert.Equal("59", headers["x-ratelimit-remaining-requests"].ToString());
        Assert.Equal("1s", headers["x-ratelimit-reset-requests"].ToString());
        Assert.Equal("150000", headers["x-ratelimit-limit-tokens"].ToString());
        Assert.Equal("149984", headers["x-ratelimit-remaining-tokens"].ToString());
        Assert.Equal("6m0s", headers["x-ratelimit-reset-tokens"].ToString());
    }

    [Fact]
    public void A_kind_no_rule_counts_writes_no_headers()
    {
        var headers = new HeaderDictionary();

        RateLimitHeaders.Apply(headers, new RateSnapshot(new RateWindowStatus(10, 3, TimeSpan.FromSeconds(42)), null));

        Assert.Equal(3, headers.Count);
        Assert.False(headers.ContainsKey("x-ratelimit-limit-tokens"));
    }

    [Fact]
    public async Task Headers_from_the_counters_count_down_and_show_the_refusal()
    {
        var clock = new FakeTimeProvider();
        var counters = new InMemoryRateLimitCounters(clock);
        RateLimitRule rule = new("vk:h", new RateLimit(RateLimitType.Requests, RateLimitUnit.Rpm, 2), "vk:h", "e");
        var remaining = new List<string>();
        RateDecision decision;

        do
        {
            decision = await counters.TryAcquireAsync([rule], 0, CancellationToken.None);
            var headers = new HeaderDictionary();
            RateLimitHeaders.Apply(headers, decision.Snapshot);
            remaining.Add(headers["x-ratelimit-remaining-requests"].ToString());
            clock.Advance(TimeSpan.FromSeconds(15));
        }
        while (decision.Admitted);

        var refusal = new HeaderDictionary();
        RateLimitHeaders.ApplyRetryAfter(refusal, decision.RetryAfter);

        Assert.Equal(["1", "0", "0"], remaining);
        Assert.Equal("30", refusal["Retry-After"].ToString());
    }
}
