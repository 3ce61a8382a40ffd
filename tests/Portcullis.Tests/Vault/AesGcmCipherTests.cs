using System.Text.Json;
using Portcullis.Tests.Infrastructure;
using Portcullis.Vault;

namespace Portcullis.Tests.Vault;

public sealed class AesGcmCipherTests
{
    public static TheoryData<int> WycheproofCases()
    {
        var data = new TheoryData<int>();
        foreach ((JsonElement test, _) in Vectors())
        {
            data.Add(test.GetProperty("tcId").GetInt32());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(WycheproofCases))]
    public void Wycheproof_vector_with_256_bit_key_and_96_bit_nonce_behaves_as_specified(int testCaseId)
    {
        (JsonElement test, _) = Vectors().Single(v => v.Test.GetProperty("tcId").GetInt32() == testCaseId);
        byte[] key = Hex(test, "key"), iv = Hex(test, "iv"), aad = Hex(test, "aad"), msg = Hex(test, "msg");
        byte[] sealedBytes = [.. Hex(test, "ct"), .. Hex(test, "tag")];
        string result = test.GetProperty("result").GetString()!;

        var opened = new byte[msg.Length];
        bool ok = AesGcmCipher.TryOpen(key, iv, sealedBytes, aad, opened);

        if (result == "valid")
        {
            Assert.True(ok);
            Assert.Equal(msg, opened);
            var produced = new byte[msg.Length + AesGcmCipher.TagSize];
            AesGcmCipher.Seal(key, iv, msg, aad, produced);
            Assert.Equal(sealedBytes, produced);
        }
        else
        {
            Assert.False(ok);
        }
    }

    [Fact]
    public void Wycheproof_file_holds_both_valid_and_invalid_cases_for_the_vault_parameters()
    {
        var results = Vectors().Select(v => v.Test.GetProperty("result").GetString()).ToHashSet();

        Assert.Contains("valid", results);
        Assert.Contains("invalid", results);
    }

    [Fact]
    public void Keys_and_nonces_of_other_sizes_are_refused()
    {
        var output = new byte[AesGcmCipher.TagSize];

        Assert.Throws<ArgumentException>(() => AesGcmCipher.Seal(new byte[16], new byte[12], [], [], output));
        Assert.Throws<ArgumentException>(() => AesGcmCipher.Seal(new byte[32], new byte[16], [], [], output));
    }

    private static IEnumerable<(JsonElement Test, JsonElement Group)> Vectors()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(SharedData.Path("data/wycheproof/aes_gcm_test.json")));
        var list = new List<(JsonElement, JsonElement)>();
        foreach (JsonElement group in document.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            if (group.GetProperty("keySize").GetInt32() != 256 || group.GetProperty("ivSize").GetInt32() != 96 ||
                group.GetProperty("tagSize").GetInt32() != 128)
            {
                continue;
            }

            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                list.Add((test.Clone(), group.Clone()));
            }
        }

        return list;
    }

    private static byte[] Hex(JsonElement test, string name) => Convert.FromHexString(test.GetProperty(name).GetString()!);
}
