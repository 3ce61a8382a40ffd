using System.Text.Json.Nodes;
using Portcullis.Cli;

namespace Portcullis.Tests.Cli;

public sealed class CliOutputTests
{
    [Fact]
    public void A_value_with_tabs_or_newlines_cannot_forge_a_column_or_a_row()
    {
        JsonNode record = new JsonObject { ["model"] = "gpt-4o\t200\nforged", ["status"] = 200 };

        string row = PortcullisCli.Row(record, "model", "status");

        Assert.Equal("gpt-4o\\u0009200\\u000aforged\t200", row);
    }
}
