using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StarSync.Plex;

// PMS writes ratingKey as a string, librarySectionID as a number, and other servers (or older builds)
// swap them (plex-api.md §2; plex-api.rs accepts number-or-string). These converters take either form.
// An empty string reads as "absent"; anything else that is not a number is a real protocol error.

/// <summary>Reads a string, number or boolean as a string.</summary>
internal sealed class PlexLenientStringConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            JsonTokenType.True => "1",
            JsonTokenType.False => "0",
            _ => throw new JsonException($"Expected a string or number, got {reader.TokenType}."),
        };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}

/// <summary>Reads a number or a numeric string as a double; null or "" as null.</summary>
internal sealed class PlexLenientDoubleConverter : JsonConverter<double?>
{
    public override bool HandleNull => true;

    public override double? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PlexLenientNumber.Read(ref reader, static (ref Utf8JsonReader r) => r.GetDouble(),
            static s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    public override void Write(Utf8JsonWriter writer, double? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>Reads a number or a numeric string as a long (a fractional value is truncated); null or "" as null.</summary>
internal sealed class PlexLenientInt64Converter : JsonConverter<long?>
{
    public override bool HandleNull => true;

    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PlexLenientNumber.Read(ref reader,
            static (ref Utf8JsonReader r) => r.TryGetInt64(out var l) ? l : checked((long)r.GetDouble()),
            static s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                ? l
                : checked((long)double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)));

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>Reads a number or a numeric string as an int (a fractional value such as 10.0 is truncated); null or "" as null.</summary>
internal sealed class PlexLenientInt32Converter : JsonConverter<int?>
{
    public override bool HandleNull => true;

    public override int? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PlexLenientNumber.Read(ref reader,
            static (ref Utf8JsonReader r) => r.TryGetInt32(out var i) ? i : checked((int)r.GetDouble()),
            static s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
                ? i
                : checked((int)double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)));

    public override void Write(Utf8JsonWriter writer, int? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

internal static class PlexLenientNumber
{
    internal delegate T NumberReader<T>(ref Utf8JsonReader reader);

    internal static T? Read<T>(ref Utf8JsonReader reader, NumberReader<T> fromNumber, Func<string, T> fromString)
        where T : struct
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                try
                {
                    return fromNumber(ref reader);
                }
                catch (Exception e) when (e is FormatException or OverflowException)
                {
                    throw new JsonException($"Expected a number in range, got {System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan)}.", e);
                }

            case JsonTokenType.String:
                var s = reader.GetString();
                if (string.IsNullOrWhiteSpace(s))
                {
                    return null;
                }

                try
                {
                    return fromString(s.Trim());
                }
                catch (Exception e) when (e is FormatException or OverflowException)
                {
                    throw new JsonException($"Expected a number, got \"{s}\".", e);
                }

            default:
                throw new JsonException($"Expected a number, got {reader.TokenType}.");
        }
    }
}

/// <summary>Reads true/false, 1/0 or "1"/"0"/"true"/"false" as a bool; null or "" as null.</summary>
internal sealed class PlexLenientBoolConverter : JsonConverter<bool?>
{
    public override bool HandleNull => true;

    public override bool? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => null,
        JsonTokenType.Number => reader.GetDouble() != 0,
        JsonTokenType.String => reader.GetString()?.Trim() switch
        {
            null or "" => null,
            "1" or "true" or "True" => true,
            "0" or "false" or "False" => false,
            var s => throw new JsonException($"Expected a boolean, got \"{s}\"."),
        },
        _ => throw new JsonException($"Expected a boolean, got {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, bool? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteBooleanValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
