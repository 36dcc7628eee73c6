using System.Buffers;
using System.Text;
using System.Text.Json;

namespace StarSync.Plex;

/// <summary>
/// Reads a listing or metadata answer (<c>{"MediaContainer":{…,"Metadata":[…]}}</c>) straight from the pooled body
/// with a <see cref="Utf8JsonReader"/>, keeping only the fields StarSync reads and skipping the rest (GUIDs, thumbs,
/// <c>Media</c>/<c>Part</c> children: most of a page's 1.1 MB). Same leniency as the serializer's DTOs it replaces
/// on this path (plex-api.md §2): numbers or strings for every field, "" as absent, property names in any case,
/// unknown fields ignored. Anything that is not JSON, or a field of the wrong shape, is a <see cref="JsonException"/>.
/// </summary>
internal static class PlexListingReader
{
    private static readonly PlexLenientStringConverter Strings = new();
    private static readonly PlexLenientDoubleConverter Doubles = new();
    private static readonly PlexLenientInt64Converter Longs = new();
    private static readonly PlexLenientInt32Converter Ints = new();
    private static readonly PlexLenientBoolConverter Bools = new();
    private static readonly JsonSerializerOptions Options = JsonSerializerOptions.Default;

    /// <summary>The <c>MediaContainer</c> of <paramref name="json"/>, or null when the answer has none.</summary>
    public static PlexMetadataContainer? Read(ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject);
        PlexMetadataContainer? container = null;
        while (NextProperty(ref reader))
        {
            var isContainer = Ascii.EqualsIgnoreCase(Name(ref reader), "MediaContainer"u8);
            Next(ref reader);
            if (!isContainer)
            {
                reader.Skip();
            }
            else if (reader.TokenType == JsonTokenType.Null)
            {
                container = null;
            }
            else
            {
                Expect(ref reader, JsonTokenType.StartObject);
                container = ReadContainer(ref reader);
            }
        }

        return container;
    }

    private const int NameBuffer = 64;

    private static PlexMetadataContainer ReadContainer(ref Utf8JsonReader reader)
    {
        var container = new PlexMetadataContainer();
        while (NextProperty(ref reader))
        {
            var name = Name(ref reader);
            Next(ref reader);
            if (Ascii.EqualsIgnoreCase(name, "Metadata"u8))
            {
                // A null item stays in the list as an item without fields (no ratingKey: callers skip it) so page counts match.
                container.Metadata = ReadArray(ref reader, ReadItem, static () => new PlexMetadataDto());
            }
            else if (Ascii.EqualsIgnoreCase(name, "size"u8))
            {
                container.Size = Ints.Read(ref reader, typeof(int?), Options);
            }
            else if (Ascii.EqualsIgnoreCase(name, "totalSize"u8))
            {
                container.TotalSize = Ints.Read(ref reader, typeof(int?), Options);
            }
            else if (Ascii.EqualsIgnoreCase(name, "offset"u8))
            {
                container.Offset = Ints.Read(ref reader, typeof(int?), Options);
            }
            else if (Ascii.EqualsIgnoreCase(name, "librarySectionID"u8))
            {
                container.LibrarySectionId = Strings.Read(ref reader, typeof(string), Options);
            }
            else if (Ascii.EqualsIgnoreCase(name, "parentTitle"u8))
            {
                container.ParentTitle = Strings.Read(ref reader, typeof(string), Options);
            }
            else if (Ascii.EqualsIgnoreCase(name, "grandparentTitle"u8))
            {
                container.GrandparentTitle = Strings.Read(ref reader, typeof(string), Options);
            }
            else
            {
                reader.Skip();
            }
        }

        return container;
    }

    private delegate T ItemReader<T>(ref Utf8JsonReader reader);

    /// <summary>
    /// A JSON array of objects (or null): a null entry becomes <paramref name="nullItem"/>'s value, or is skipped when
    /// there is none.
    /// </summary>
    private static List<T>? ReadArray<T>(ref Utf8JsonReader reader, ItemReader<T> readItem, Func<T>? nullItem = null)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var items = new List<T>();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return items;
            }

            if (reader.TokenType != JsonTokenType.Null)
            {
                items.Add(readItem(ref reader));
            }
            else if (nullItem is not null)
            {
                items.Add(nullItem());
            }
        }
    }

    private static PlexMetadataDto ReadItem(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var item = new PlexMetadataDto();
        while (NextProperty(ref reader))
        {
            var name = Name(ref reader);
            Next(ref reader);
            // The common names first, in the order PMS writes them; the rest (key, guid, thumb, Media, ...) are skipped.
            switch (name.Length)
            {
                case 4 when Ascii.EqualsIgnoreCase(name, "type"u8):
                    item.Type = Strings.Read(ref reader, typeof(string), Options);
                    break;
                case 5 when Ascii.EqualsIgnoreCase(name, "title"u8):
                    item.Title = Strings.Read(ref reader, typeof(string), Options);
                    break;
                case 5 when Ascii.EqualsIgnoreCase(name, "Genre"u8):
                    item.Genre = ReadArray(ref reader, ReadTag);
                    break;
                case 5 when Ascii.EqualsIgnoreCase(name, "Style"u8):
                    item.Style = ReadArray(ref reader, ReadTag);
                    break;
                case 5 when Ascii.EqualsIgnoreCase(name, "Field"u8):
                    item.Field = ReadArray(ref reader, ReadField);
                    break;
                case 4 when Ascii.EqualsIgnoreCase(name, "Mood"u8):
                    item.Mood = ReadArray(ref reader, ReadTag);
                    break;
                case 6 when Ascii.EqualsIgnoreCase(name, "Format"u8):
                    item.Format = ReadArray(ref reader, ReadTag);
                    break;
                case 9 when Ascii.EqualsIgnoreCase(name, "Subformat"u8):
                    item.Subformat = ReadArray(ref reader, ReadTag);
                    break;
                case 9 when Ascii.EqualsIgnoreCase(name, "ratingKey"u8):
                    item.RatingKey = Strings.Read(ref reader, typeof(string), Options);
                    break;
                case 9 when Ascii.EqualsIgnoreCase(name, "viewCount"u8):
                    item.ViewCount = Ints.Read(ref reader, typeof(int?), Options);
                    break;
                case 9 when Ascii.EqualsIgnoreCase(name, "skipCount"u8):
                    item.SkipCount = Ints.Read(ref reader, typeof(int?), Options);
                    break;
                case 10 when Ascii.EqualsIgnoreCase(name, "userRating"u8):
                    item.UserRating = Doubles.Read(ref reader, typeof(double?), Options);
                    break;
                case 7 when Ascii.EqualsIgnoreCase(name, "addedAt"u8):
                    item.AddedAt = Longs.Read(ref reader, typeof(long?), Options);
                    break;
                case 8 when Ascii.EqualsIgnoreCase(name, "duration"u8):
                    item.Duration = Longs.Read(ref reader, typeof(long?), Options);
                    break;
                case 11 when Ascii.EqualsIgnoreCase(name, "parentTitle"u8):
                    item.ParentTitle = Strings.Read(ref reader, typeof(string), Options);
                    break;
                case 12 when Ascii.EqualsIgnoreCase(name, "lastViewedAt"u8):
                    item.LastViewedAt = Longs.Read(ref reader, typeof(long?), Options);
                    break;
                case 15 when Ascii.EqualsIgnoreCase(name, "parentRatingKey"u8):
                    item.ParentRatingKey = Strings.Read(ref reader, typeof(string), Options);
                    break;
                case 16 when Ascii.EqualsIgnoreCase(name, "grandparentTitle"u8):
                    item.GrandparentTitle = Strings.Read(ref reader, typeof(string), Options);
                    break;
                case 16 when Ascii.EqualsIgnoreCase(name, "librarySectionID"u8):
                    item.LibrarySectionId = Strings.Read(ref reader, typeof(string), Options);
                    break;
                case 20 when Ascii.EqualsIgnoreCase(name, "grandparentRatingKey"u8):
                    item.GrandparentRatingKey = Strings.Read(ref reader, typeof(string), Options);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return item;
    }

    private static PlexTagDto ReadTag(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var tag = new PlexTagDto();
        while (NextProperty(ref reader))
        {
            var isTag = Ascii.EqualsIgnoreCase(Name(ref reader), "tag"u8);
            Next(ref reader);
            if (isTag)
            {
                tag.Tag = Strings.Read(ref reader, typeof(string), Options);
            }
            else
            {
                reader.Skip();
            }
        }

        return tag;
    }

    private static PlexFieldDto ReadField(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var field = new PlexFieldDto();
        while (NextProperty(ref reader))
        {
            var name = Name(ref reader);
            Next(ref reader);
            if (Ascii.EqualsIgnoreCase(name, "name"u8))
            {
                field.Name = Strings.Read(ref reader, typeof(string), Options);
            }
            else if (Ascii.EqualsIgnoreCase(name, "locked"u8))
            {
                field.Locked = Bools.Read(ref reader, typeof(bool?), Options);
            }
            else
            {
                reader.Skip();
            }
        }

        return field;
    }

    /// <summary>Moves to the next property name of the current object; false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        return reader.TokenType switch
        {
            JsonTokenType.PropertyName => true,
            JsonTokenType.EndObject => false,
            _ => throw new JsonException($"Expected a property name, got {reader.TokenType}."),
        };
    }

    /// <summary>
    /// The current property name's bytes: the reader's own span when it can (one segment, no escapes), else unescaped
    /// into a buffer of this thread. A name longer than the buffer is none StarSync reads: it comes back empty.
    /// </summary>
    private static ReadOnlySpan<byte> Name(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        var buffer = t_nameBuffer ??= new byte[NameBuffer];
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        return length <= buffer.Length ? buffer.AsSpan(0, reader.CopyString(buffer)) : [];
    }

    [ThreadStatic]
    private static byte[]? t_nameBuffer;

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The JSON ends too early.");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"Expected {type}, got {reader.TokenType}.");
        }
    }
}
