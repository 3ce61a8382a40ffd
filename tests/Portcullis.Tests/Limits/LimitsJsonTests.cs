using System.Buffers;
using System.Text;
using System.Text.Json;
using Portcullis.Limits;
using Portcullis.Pricing;

namespace Portcullis.Tests.Limits;

public sealed class LimitsJsonTests
{
    public static TheoryData<string, string> BadUsageLimits() => new()
    {
        { """{}""", "usage_limits.credit_limit" },
        { """{"credit_limit": null}""", "usage_limits.credit_limit" },
        { """{"credit_limit": "10"}""", "usage_limits.credit_limit" },
        { """{"credit_limit": "NaN"}""", "usage_limits.credit_limit" },
        { """{"credit_limit": true}""", "usage_limits.credit_limit" },
        { """{"credit_limit": 0}""", "usage_limits.credit_limit" },
        { """{"credit_limit": -5}""", "usage_limits.credit_limit" },
        { """{"credit_limit": 1.0000001}""", "usage_limits.credit_limit" },
        { """{"credit_limit": 1e400}""", "usage_limits.credit_limit" },
        { """{"credit_limit": 2000000}""", "usage_limits.credit_limit" },
        { """{"type": "tokens", "credit_limit": 10.5}""", "usage_limits.credit_limit" },
        { """{"type": "tokens", "credit_limit": 1e16}""", "usage_limits.credit_limit" },
        { """{"type": "dollars", "credit_limit": 10}""", "usage_limits.type" },
        { """{"type": 5, "credit_limit": 10}""", "usage_limits.type" },
        { """{"credit_limit": 10, "alert_threshold": 10}""", "usage_limits.alert_threshold" },
        { """{"credit_limit": 10, "alert_threshold": -1}""", "usage_limits.alert_threshold" },
        { """{"credit_limit": 10, "alert_threshold": "5"}""", "usage_limits.alert_threshold" },
        { """{"credit_limit": 10, "alert_threshold": 0.0000001}""", "usage_limits.alert_threshold" },
        { """{"type": "tokens", "credit_limit": 100, "alert_threshold": 50.5}""", "usage_limits.alert_threshold" },
        { """{"credit_limit": 10, "periodic_reset": "daily"}""", "usage_limits.periodic_reset" },
        { """{"credit_limit": 10, "periodic_reset": 7}""", "usage_limits.periodic_reset" },
        { """{"credit_limit": 10, "periodic_reset_days": 0}""", "usage_limits.periodic_reset_days" },
        { """{"credit_limit": 10, "periodic_reset_days": 366}""", "usage_limits.periodic_reset_days" },
        { """{"credit_limit": 10, "periodic_reset_days": 1.5}""", "usage_limits.periodic_reset_days" },
        { """{"credit_limit": 10, "periodic_reset_days": "7"}""", "usage_limits.periodic_reset_days" },
        { """{"credit_limit": 10, "periodic_reset": "weekly", "periodic_reset_days": 7}""", "periodic_reset_days" },
        { """{"credit_limit": 10, "enforcement": "strict"}""", "usage_limits.enforcement" },
        { """{"credit_limit": 10, "credit_limt": 5}""", "usage_limits.credit_limt" },
        { "\"10\"", "usage_limits" },
        { """[1]""", "usage_limits[0]" },
        { """[{"credit_limit": 10}, {"credit_limit": 20}]""", "usage_limits[1]" },
        { """[{"type": "tokens", "credit_limit": 100}, {"type": "tokens", "credit_limit": 0}]""", "[1].credit_limit" },
        { """[{"credit_limit": 1}, {"type": "tokens", "credit_limit": 1}, {"credit_limit": 2}]""", "usage_limits" },
    };

    [Theory]
    [MemberData(nameof(BadUsageLimits))]
    public void Bad_usage_limits_are_refused_with_a_message_naming_the_field(string json, string field)
    {
        bool ok = LimitsJson.TryReadUsageLimits(Parse(json), out IReadOnlyList<UsageLimit> limits, out string? error);

        Assert.False(ok);
        Assert.Empty(limits);
        Assert.NotNull(error);
        Assert.Contains(field, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cost_limit_reads_dollars_into_picodollars_with_its_period_and_threshold()
    {
        string json = """{"credit_limit": 25.5, "alert_threshold": 20.000001, "periodic_reset": "monthly"}""";

        Assert.True(LimitsJson.TryReadUsageLimits(Parse(json), out IReadOnlyList<UsageLimit> limits, out string? error));

        Assert.Null(error);
        UsageLimit limit = Assert.Single(limits);
        Assert.Equal(
            new UsageLimit(UsageLimitType.Cost, 25_500_000_000_000, 20_000_001_000_000, ResetPeriod.Monthly, null, false),
            limit);
    }

    [Fact]
    public void A_tokens_limit_with_a_days_period_and_soft_enforcement_reads_whole_tokens()
    {
        string json = """{"type": "tokens", "credit_limit": 1e6, "periodic_reset_days": 30, "enforcement": "soft"}""";

        Assert.True(LimitsJson.TryReadUsageLimits(Parse(json), out IReadOnlyList<UsageLimit> limits, out _));

        Assert.Equal(
            new UsageLimit(UsageLimitType.Tokens, 1_000_000, null, ResetPeriod.Days, 30, true), Assert.Single(limits));
    }

    [Fact]
    public void An_array_holds_one_cost_and_one_tokens_limit()
    {
        string json = """[{"type": "tokens", "credit_limit": 5000, "periodic_reset": "weekly"}, {"credit_limit": 1}]""";

        Assert.True(LimitsJson.TryReadUsageLimits(Parse(json), out IReadOnlyList<UsageLimit> limits, out _));

        Assert.Equal(
            [UsageLimitType.Tokens, UsageLimitType.Cost], limits.Select(l => l.Type).ToArray());
        Assert.Equal(ResetPeriod.Weekly, limits[0].Reset);
        Assert.Equal(Money.FromDollars(1), limits[1].CreditLimit);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    public void Null_or_an_empty_array_means_no_budget(string json)
    {
        Assert.True(LimitsJson.TryReadUsageLimits(Parse(json), out IReadOnlyList<UsageLimit> limits, out string? error));

        Assert.Empty(limits);
        Assert.Null(error);
    }

    [Fact]
    public void Read_only_fields_a_client_echoes_back_are_ignored()
    {
        string json = """
            {"id": "ul_1", "status": "active", "credit_limit": 10, "current_usage": 3.2,
             "next_usage_reset_at": "2030-01-01T00:00:00Z", "last_reset_at": null, "periodic_reset": "Weekly"}
            """;

        Assert.True(LimitsJson.TryReadUsageLimits(Parse(json), out IReadOnlyList<UsageLimit> limits, out string? error));

        Assert.Null(error);
        Assert.Equal(
            new UsageLimit(UsageLimitType.Cost, Money.FromDollars(10), null, ResetPeriod.Weekly, null, false), limits[0]);
    }

    [Fact]
    public void Written_fields_use_dollars_without_trailing_zeros_and_read_back_to_the_same_limit()
    {
        UsageLimit[] cases =
        [
            new(UsageLimitType.Cost, Money.FromDollars(25.5m), Money.FromDollars(0.000001m), ResetPeriod.Monthly, null, false),
            new(UsageLimitType.Cost, Money.FromDollars(1_000_000m), null, ResetPeriod.None, null, true),
            new(UsageLimitType.Tokens, 1_000_000, 900_000, ResetPeriod.Days, 7, false),
            new(UsageLimitType.Tokens, 100, null, ResetPeriod.Weekly, null, true),
        ];

        foreach (UsageLimit limit in cases)
        {
            string json = WriteObject(w => LimitsJson.WriteUsageLimitFields(w, limit));

            bool ok = LimitsJson.TryReadUsageLimits(Parse(json), out IReadOnlyList<UsageLimit> read, out string? error);
            Assert.True(ok, error);
            Assert.Equal(limit, Assert.Single(read));
        }

        string first = WriteObject(w => LimitsJson.WriteUsageLimitFields(w, cases[0]));
        Assert.Equal(
            """{"type":"cost","credit_limit":25.5,"alert_threshold":0.000001,"periodic_reset":"monthly",""" +
            """ "periodic_reset_days":null,"enforcement":"hard"}""".TrimStart(),
            first);
    }

    [Fact]
    public void Usage_amounts_are_written_in_dollars_to_the_picodollar_or_in_tokens()
    {
        string json = WriteObject(w =>
        {
            LimitsJson.WriteAmount(w, "spent", UsageLimitType.Cost, 3_000_000_000_001);
            LimitsJson.WriteAmount(w, "none", UsageLimitType.Cost, 0);
            LimitsJson.WriteAmount(w, "tokens", UsageLimitType.Tokens, 1200);
        });

        Assert.Equal("""{"spent":3.000000000001,"none":0,"tokens":1200}""", json);
    }

    [Fact]
    public void Usage_limits_survive_the_storage_form_exactly_even_below_a_micro_dollar()
    {
        UsageLimit[] limits =
        [
            new(UsageLimitType.Cost, 1_234_567_890_123, 7, ResetPeriod.Days, 365, true),
            new(UsageLimitType.Tokens, 42, null, ResetPeriod.Monthly, null, false),
        ];

        string stored = LimitsJson.SerializeUsageLimits(limits);

        Assert.Equal(limits, LimitsJson.DeserializeUsageLimits(stored));
        Assert.DoesNotContain("credit_limit", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    public void Empty_storage_text_means_no_limits(string stored)
    {
        Assert.Empty(LimitsJson.DeserializeUsageLimits(stored));
        Assert.Empty(LimitsJson.DeserializeRateLimits(stored));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"type":"cost"}""")]
    [InlineData("""[{"type":"cash","limit":1,"reset":"none","soft":false}]""")]
    [InlineData("""[{"type":"cost","limit":"1","reset":"none","soft":false}]""")]
    [InlineData("""[{"type":"cost","limit":1,"reset":"hourly","soft":false}]""")]
    public void Damaged_stored_usage_limits_throw_invalid_data(string stored)
    {
        Assert.Throws<InvalidDataException>(() => LimitsJson.DeserializeUsageLimits(stored));
    }

    public static TheoryData<string, string> BadRateLimits() => new()
    {
        { """{"type": "requests", "unit": "rpm", "value": 10}""", "rate_limits" },
        { """[5]""", "rate_limits[0]" },
        { """[{"unit": "rpm", "value": 10}]""", "rate_limits[0].type" },
        { """[{"type": "calls", "unit": "rpm", "value": 10}]""", "rate_limits[0].type" },
        { """[{"type": "requests", "value": 10}]""", "rate_limits[0].unit" },
        { """[{"type": "requests", "unit": "tpm", "value": 10}]""", "rate_limits[0].unit" },
        { """[{"type": "requests", "unit": "rpm"}]""", "rate_limits[0].value" },
        { """[{"type": "requests", "unit": "rpm", "value": 0}]""", "rate_limits[0].value" },
        { """[{"type": "requests", "unit": "rpm", "value": -1}]""", "rate_limits[0].value" },
        { """[{"type": "requests", "unit": "rpm", "value": 1.5}]""", "rate_limits[0].value" },
        { """[{"type": "requests", "unit": "rpm", "value": "10"}]""", "rate_limits[0].value" },
        { """[{"type": "requests", "unit": "rpm", "value": 1e13}]""", "rate_limits[0].value" },
        { """[{"type": "requests", "unit": "rpm", "value": 10, "window": 60}]""", "rate_limits[0].window" },
        {
            """[{"type": "tokens", "unit": "rpm", "value": 10}, {"type": "tokens", "unit": "rpm", "value": 20}]""",
            "rate_limits[1]"
        },
        {
            "[" + string.Join(",", Enumerable.Repeat("""{"type":"requests","unit":"rps","value":1}""", 11)) + "]",
            "rate_limits"
        },
    };

    [Theory]
    [MemberData(nameof(BadRateLimits))]
    public void Bad_rate_limits_are_refused_with_a_message_naming_the_field(string json, string field)
    {
        bool ok = LimitsJson.TryReadRateLimits(Parse(json), out IReadOnlyList<RateLimit> limits, out string? error);

        Assert.False(ok);
        Assert.Empty(limits);
        Assert.NotNull(error);
        Assert.Contains(field, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rate_limits_read_every_unit_and_keep_their_windows()
    {
        string json = """
            [{"type": "requests", "unit": "rps", "value": 5}, {"type": "requests", "unit": "RPM", "value": 100},
             {"type": "tokens", "unit": "rph", "value": 1e5}, {"type": "tokens", "unit": "rpd", "value": 1000000, "id": "x"},
             {"type": "tokens", "unit": "rpw", "value": 9000000}]
            """;

        Assert.True(LimitsJson.TryReadRateLimits(Parse(json), out IReadOnlyList<RateLimit> limits, out string? error), error);

        Assert.Equal(
            [
                new RateLimit(RateLimitType.Requests, RateLimitUnit.Rps, 5),
                new RateLimit(RateLimitType.Requests, RateLimitUnit.Rpm, 100),
                new RateLimit(RateLimitType.Tokens, RateLimitUnit.Rph, 100_000),
                new RateLimit(RateLimitType.Tokens, RateLimitUnit.Rpd, 1_000_000),
                new RateLimit(RateLimitType.Tokens, RateLimitUnit.Rpw, 9_000_000),
            ],
            limits);
        Assert.Equal(
            [
                TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1),
                TimeSpan.FromDays(7),
            ],
            limits.Select(l => l.Window).ToArray());
    }

    [Fact]
    public void Rate_limits_survive_the_storage_form_and_the_admin_writer()
    {
        RateLimit[] limits =
        [
            new(RateLimitType.Requests, RateLimitUnit.Rpm, 10),
            new(RateLimitType.Tokens, RateLimitUnit.Rpd, 1_000_000_000_000),
        ];

        Assert.Equal(limits, LimitsJson.DeserializeRateLimits(LimitsJson.SerializeRateLimits(limits)));

        string written = WriteObject(w => LimitsJson.WriteRateLimits(w, "rate_limits", limits));
        Assert.Equal(
            """{"rate_limits":[{"type":"requests","unit":"rpm","value":10},""" +
            """{"type":"tokens","unit":"rpd","value":1000000000000}]}""",
            written);
        Assert.True(LimitsJson.TryReadRateLimits(Parse(written).GetProperty("rate_limits"), out var read, out _));
        Assert.Equal(limits, read);
    }

    [Fact]
    public void Damaged_stored_rate_limits_throw_invalid_data()
    {
        Assert.Throws<InvalidDataException>(() => LimitsJson.DeserializeRateLimits("""[{"type":"requests"}]"""));
        Assert.Throws<InvalidDataException>(() => LimitsJson.DeserializeRateLimits("""{"type":"requests"}"""));
    }

    private static JsonElement Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string WriteObject(Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
