using Microsoft.Extensions.Time.Testing;
using Portcullis.Limits;

namespace Portcullis.Tests.Limits;

public sealed class InMemoryRateLimitCountersTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryRateLimitCounters counters;

    public InMemoryRateLimitCountersTests()
    {
        counters = new InMemoryRateLimitCounters(clock);
    }

    [Fact]
    public async Task A_requests_limit_admits_up_to_its_value_then_refuses_with_a_wait_within_the_window()
    {
        RateLimitRule rule = Requests("vk:a", RateLimitUnit.Rpm, 10);

        for (int i = 1; i <= 10; i++)
        {
            RateDecision admitted = await Acquire(rule);
            Assert.True(admitted.Admitted);
            Assert.Equal(10 - i, admitted.Snapshot.Requests!.Remaining);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        RateDecision refused = await Acquire(rule);

        Assert.False(refused.Admitted);
        Assert.Same(rule, refused.RefusedBy);
        Assert.Equal(TimeSpan.FromSeconds(50), refused.RetryAfter);
        Assert.Equal(0, refused.Snapshot.Requests!.Remaining);
        Assert.Null(refused.Snapshot.Tokens);
    }

    [Fact]
    public async Task The_wait_given_on_a_refusal_is_exactly_when_the_next_call_is_admitted()
    {
        RateLimitRule rule = Requests("vk:a", RateLimitUnit.Rpm, 10);
        await AcquireMany(rule, 10);

        RateDecision refused = await Acquire(rule);
        clock.Advance(refused.RetryAfter - TimeSpan.FromMilliseconds(1));
        RateDecision tooEarly = await Acquire(rule);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        RateDecision onTime = await Acquire(rule);

        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
        Assert.False(tooEarly.Admitted);
        Assert.True(onTime.Admitted);
    }

    [Fact]
    public async Task A_burst_at_the_end_of_a_minute_is_not_followed_by_a_second_burst_after_the_edge()
    {
        RateLimitRule rule = Requests("vk:edge", RateLimitUnit.Rpm, 10);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(10, await AcquireMany(rule, 10));

        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, await AcquireMany(rule, 10));
    }

    [Fact]
    public async Task Calls_spread_over_a_minute_free_their_room_one_by_one_after_a_full_minute()
    {
        RateLimitRule rule = Requests("vk:spread", RateLimitUnit.Rpm, 10);
        for (int i = 0; i < 10; i++)
        {
            Assert.True((await Acquire(rule)).Admitted);
            clock.Advance(TimeSpan.FromSeconds(6));
        }

        // Now at 1:00; the call of 0:00 left the window, the one of 0:06 has not.
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, await AcquireMany(rule, 10));
    }

    [Fact]
    public async Task No_sixty_second_stretch_ever_holds_more_admitted_calls_than_the_limit()
    {
        RateLimitRule rule = Requests("vk:steady", RateLimitUnit.Rpm, 10);
        var random = new Random(4);
        var admittedAt = new List<DateTimeOffset>();

        for (int step = 0; step < 2000; step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 400)));
            if ((await Acquire(rule)).Admitted)
            {
                admittedAt.Add(clock.GetUtcNow());
            }
        }

        int most = admittedAt.Max(t => admittedAt.Count(u => u > t - TimeSpan.FromMinutes(1) && u <= t));
        Assert.Equal(10, most);

        // Conservative, but not wasteful: over about 6.7 minutes, close to 10 a minute got through.
        Assert.InRange(admittedAt.Count, 60, 70);
    }

    [Fact]
    public async Task Token_counter_moves_by_actual_tokens_refuses_the_eleventh_call_and_frees_after_a_minute()
    {
        // gateway-faults B11: 1000 tokens a minute, 500 requests a minute, 100 tokens a call.
        RateLimitRule tokens = Tokens("vk:k1", RateLimitUnit.Rpm, 1000);
        RateLimitRule requests = Requests("vk:k1", RateLimitUnit.Rpm, 500);
        RateLimitRule[] rules = [tokens, requests];
        var remaining = new List<long>();

        for (int call = 1; call <= 10; call++)
        {
            RateDecision decision = await counters.TryAcquireAsync(rules, 1, CancellationToken.None);
            Assert.True(decision.Admitted);
            RateSnapshot settled = await counters.SettleAsync(decision.Lease, 100, CancellationToken.None);
            remaining.Add(settled.Tokens!.Remaining);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        RateDecision eleventh = await counters.TryAcquireAsync(rules, 1, CancellationToken.None);
        clock.Advance(eleventh.RetryAfter);
        RateDecision afterWait = await counters.TryAcquireAsync(rules, 1, CancellationToken.None);

        Assert.Equal([900, 800, 700, 600, 500, 400, 300, 200, 100, 0], remaining);
        Assert.False(eleventh.Admitted);
        Assert.Same(tokens, eleventh.RefusedBy);
        Assert.Equal(TimeSpan.FromSeconds(50), eleventh.RetryAfter);
        Assert.True(afterWait.Admitted);
        Assert.Equal(490, afterWait.Snapshot.Requests!.Remaining);
    }

    [Fact]
    public async Task The_end_of_a_requests_window_neither_resets_nor_freezes_the_tokens_window()
    {
        RateLimitRule tokens = Tokens("vk:k1", RateLimitUnit.Rpm, 1000);
        RateLimitRule requests = Requests("vk:k1", RateLimitUnit.Rps, 100);
        RateLimitRule[] rules = [requests, tokens];
        for (int call = 0; call < 10; call++)
        {
            RateDecision decision = await counters.TryAcquireAsync(rules, 100, CancellationToken.None);
            Assert.True(decision.Admitted);
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        RateDecision afterRequestsWindow = await counters.TryAcquireAsync(rules, 100, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(58));
        RateDecision afterTokensWindow = await counters.TryAcquireAsync(rules, 100, CancellationToken.None);

        Assert.False(afterRequestsWindow.Admitted);
        Assert.Same(tokens, afterRequestsWindow.RefusedBy);
        Assert.Equal(100, afterRequestsWindow.Snapshot.Requests!.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(58), afterRequestsWindow.RetryAfter);
        Assert.True(afterTokensWindow.Admitted);
    }

    [Fact]
    public async Task A_call_larger_than_what_is_left_still_goes_and_the_limit_applies_to_the_next_call()
    {
        RateLimitRule tokens = Tokens("vk:big", RateLimitUnit.Rpm, 1000);

        RateDecision first = await Acquire(tokens, expectedTokens: 1);
        RateSnapshot settled = await counters.SettleAsync(first.Lease!, 1200, CancellationToken.None);
        RateDecision next = await Acquire(tokens, expectedTokens: 1);

        Assert.True(first.Admitted);
        Assert.Equal(0, settled.Tokens!.Remaining);
        Assert.False(next.Admitted);
    }

    [Fact]
    public async Task A_reservation_larger_than_the_room_left_is_admitted_while_anything_is_left()
    {
        RateLimitRule tokens = Tokens("vk:res", RateLimitUnit.Rpm, 1000);

        RateDecision first = await Acquire(tokens, expectedTokens: 900);
        RateDecision second = await Acquire(tokens, expectedTokens: 500);
        RateDecision third = await Acquire(tokens, expectedTokens: 1);

        Assert.True(first.Admitted);
        Assert.True(second.Admitted);
        Assert.Equal(0, second.Snapshot.Tokens!.Remaining);
        Assert.False(third.Admitted);
    }

    [Fact]
    public async Task Settling_with_zero_releases_the_reservation_and_settling_again_changes_nothing()
    {
        RateLimitRule tokens = Tokens("vk:rel", RateLimitUnit.Rpm, 1000);
        RateDecision decision = await Acquire(tokens, expectedTokens: 600);

        RateSnapshot released = await counters.SettleAsync(decision.Lease!, 0, CancellationToken.None);
        RateSnapshot again = await counters.SettleAsync(decision.Lease!, 900, CancellationToken.None);

        Assert.Equal(400, decision.Snapshot.Tokens!.Remaining);
        Assert.Equal(1000, released.Tokens!.Remaining);
        Assert.Equal(1000, again.Tokens!.Remaining);
        Assert.True(decision.Lease!.IsSettled);
    }

    [Fact]
    public async Task Settling_one_lease_from_many_threads_at_once_applies_once()
    {
        RateLimitRule tokens = Tokens("vk:race", RateLimitUnit.Rpm, 10_000);
        RateDecision decision = await Acquire(tokens, expectedTokens: 100);

        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
            await counters.SettleAsync(decision.Lease!, 300, CancellationToken.None))));
        RateSnapshot after = await counters.SettleAsync(decision.Lease!, 300, CancellationToken.None);

        Assert.Equal(9_700, after.Tokens!.Remaining);
    }

    [Fact]
    public async Task Tokens_beyond_the_reservation_count_even_when_the_reservation_left_the_window_first()
    {
        RateLimitRule tokens = Tokens("vk:long", RateLimitUnit.Rpm, 1000);
        RateDecision decision = await Acquire(tokens, expectedTokens: 100);

        // A two-minute stream: its reservation has left the window and the counter has been dropped.
        clock.Advance(TimeSpan.FromMinutes(2));
        await Acquire(Requests("vk:other", RateLimitUnit.Rpm, 1));
        Assert.Equal(1, counters.CounterCount);
        RateSnapshot settled = await counters.SettleAsync(decision.Lease!, 700, CancellationToken.None);

        Assert.Equal(400, settled.Tokens!.Remaining);
    }

    [Fact]
    public async Task Rules_of_one_call_are_applied_all_or_nothing()
    {
        RateLimitRule key = Requests("vk:a", RateLimitUnit.Rpm, 5);
        RateLimitRule apiKey = Requests("ak:b", RateLimitUnit.Rpm, 3);
        RateLimitRule[] both = [key, apiKey];

        Assert.Equal(3, await AcquireMany(both, 3));
        RateDecision refused = await counters.TryAcquireAsync(both, 0, CancellationToken.None);
        RateDecision keyAlone = await Acquire(key);

        Assert.False(refused.Admitted);
        Assert.Same(apiKey, refused.RefusedBy);
        Assert.Equal(0, refused.Snapshot.Requests!.Remaining);
        Assert.True(keyAlone.Admitted);
        Assert.Equal(1, keyAlone.Snapshot.Requests!.Remaining);
    }

    [Fact]
    public async Task When_several_rules_refuse_the_one_with_the_longest_wait_is_named()
    {
        RateLimitRule perSecond = Requests("vk:a", RateLimitUnit.Rps, 1);
        RateLimitRule perHour = Requests("vk:a", RateLimitUnit.Rph, 1);
        RateLimitRule[] rules = [perSecond, perHour];
        await counters.TryAcquireAsync(rules, 0, CancellationToken.None);

        RateDecision refused = await counters.TryAcquireAsync(rules, 0, CancellationToken.None);

        Assert.Same(perHour, refused.RefusedBy);
        Assert.Equal(TimeSpan.FromHours(1), refused.RetryAfter);
    }

    [Fact]
    public async Task The_snapshot_shows_the_rule_with_the_least_room_of_each_kind()
    {
        RateLimitRule[] rules =
        [
            Requests("vk:a", RateLimitUnit.Rph, 100),
            Requests("vk:a", RateLimitUnit.Rpm, 10),
            Tokens("ak:b", RateLimitUnit.Rpd, 50_000),
            Tokens("vk:a", RateLimitUnit.Rpm, 4_000),
        ];

        RateDecision decision = await counters.TryAcquireAsync(rules, 1_000, CancellationToken.None);

        Assert.Equal(new RateWindowStatus(10, 9, TimeSpan.FromMinutes(1)), decision.Snapshot.Requests);
        Assert.Equal(new RateWindowStatus(4_000, 3_000, TimeSpan.FromMinutes(1)), decision.Snapshot.Tokens);
    }

    [Fact]
    public async Task A_call_without_rules_is_admitted_with_nothing_to_report()
    {
        RateDecision decision = await counters.TryAcquireAsync([], 100, CancellationToken.None);

        Assert.True(decision.Admitted);
        Assert.Same(RateSnapshot.None, decision.Snapshot);
        Assert.Same(RateSnapshot.None, await counters.SettleAsync(decision.Lease, 5, CancellationToken.None));
    }

    [Fact]
    public async Task Lowering_a_limit_keeps_the_usage_already_counted()
    {
        await AcquireMany(Requests("vk:a", RateLimitUnit.Rpm, 10), 6);

        RateDecision decision = await Acquire(Requests("vk:a", RateLimitUnit.Rpm, 5));

        Assert.False(decision.Admitted);
    }

    [Fact]
    public void Many_threads_at_once_never_get_more_than_the_limit_through()
    {
        var admittedPerRound = new List<int>();

        for (int round = 0; round < 200; round++)
        {
            RateLimitRule rule = Requests($"vk:hot{round}", RateLimitUnit.Rpm, 20);
            admittedPerRound.Add(Race(Enumerable.Repeat(new[] { rule }, 4).ToArray(), expectedTokens: 0, attempts: 10));
        }

        Assert.All(admittedPerRound, admitted => Assert.Equal(20, admitted));
    }

    [Fact]
    public async Task Many_threads_with_two_rules_in_opposite_orders_stay_all_or_nothing_and_never_deadlock()
    {
        var admittedPerRound = new List<int>();
        var requestsLeft = new List<long>();

        for (int round = 0; round < 200; round++)
        {
            RateLimitRule tokens = Tokens($"vk:x{round}", RateLimitUnit.Rpm, 200);
            RateLimitRule requests = Requests($"ak:y{round}", RateLimitUnit.Rpm, 1000);
            RateLimitRule[][] rules = [[tokens, requests], [requests, tokens], [tokens, requests], [requests, tokens]];
            admittedPerRound.Add(Race(rules, expectedTokens: 25, attempts: 10));
            requestsLeft.Add((await Acquire(requests)).Snapshot.Requests!.Remaining);
        }

        // 200 tokens at 25 a call admit 8 calls; each counted once in the requests counter, plus the probe.
        Assert.All(admittedPerRound, admitted => Assert.Equal(8, admitted));
        Assert.All(requestsLeft, left => Assert.Equal(1000 - 8 - 1, left));
    }

    [Fact]
    public async Task Idle_counters_are_dropped_and_busy_ones_kept()
    {
        for (int i = 0; i < 50; i++)
        {
            await Acquire(Requests($"vk:{i}", RateLimitUnit.Rpm, 10));
        }

        await Acquire(Requests("vk:hourly", RateLimitUnit.Rph, 10));
        Assert.Equal(51, counters.CounterCount);

        clock.Advance(TimeSpan.FromMinutes(2));
        RateDecision hourly = await Acquire(Requests("vk:hourly", RateLimitUnit.Rph, 10));

        Assert.Equal(1, counters.CounterCount);
        Assert.Equal(8, hourly.Snapshot.Requests!.Remaining);
    }

    [Fact]
    public async Task A_cancelled_call_is_refused_before_it_counts()
    {
        RateLimitRule rule = Requests("vk:a", RateLimitUnit.Rpm, 1);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await counters.TryAcquireAsync([rule], 0, new CancellationToken(canceled: true)));

        Assert.True((await Acquire(rule)).Admitted);
    }

    // Threads released together by a barrier, each trying its calls back to back: as much contention as the host gives.
    private int Race(RateLimitRule[][] rulesPerThread, long expectedTokens, int attempts)
    {
        int admitted = 0;
        using var start = new Barrier(rulesPerThread.Length);
        Thread[] threads = rulesPerThread.Select(rules => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < attempts; i++)
            {
                if (counters.TryAcquireAsync(rules, expectedTokens, CancellationToken.None).AsTask().Result.Admitted)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })).ToArray();

        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "A thread did not finish: a deadlock.");
        }

        return admitted;
    }

    private static RateLimitRule Requests(string key, RateLimitUnit unit, long value) =>
        new(key, new RateLimit(RateLimitType.Requests, unit, value), key, "virtual_key_rate_limit_error");

    private static RateLimitRule Tokens(string key, RateLimitUnit unit, long value) =>
        new(key, new RateLimit(RateLimitType.Tokens, unit, value), key, "virtual_key_rate_limit_error");

    private async Task<RateDecision> Acquire(RateLimitRule rule, long expectedTokens = 0) =>
        await counters.TryAcquireAsync([rule], expectedTokens, CancellationToken.None);

    private Task<int> AcquireMany(RateLimitRule rule, int calls) => AcquireMany([rule], calls);

    private async Task<int> AcquireMany(RateLimitRule[] rules, int calls)
    {
        int admitted = 0;
        for (int i = 0; i < calls; i++)
        {
            if ((await counters.TryAcquireAsync(rules, 0, CancellationToken.None)).Admitted)
            {
                admitted++;
            }
        }

        return admitted;
    }
}
