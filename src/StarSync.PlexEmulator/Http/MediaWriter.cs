using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace StarSync.PlexEmulator;

/// <summary>
/// Writes one PMS response as XML or JSON through the same calls, buffering a few KB and flushing
/// asynchronously so a page of any size streams with bounded memory (Kestrel forbids synchronous I/O).
/// </summary>
internal abstract class MediaWriter : IAsyncDisposable
{
    private const int FlushThreshold = 32 * 1024;
    private readonly Stream? _target;

    protected MediaWriter(Stream? target)
    {
        _target = target;
    }

    protected MemoryStream Buffer { get; } = new();

    public static MediaWriter Create(bool json, Stream? target) => json ? new JsonMediaWriter(target) : new XmlMediaWriter(target);

    /// <summary>
    /// A response: JSON goes straight into Kestrel's pooled pipe (no buffer of our own; with one, every response grew
    /// a MemoryStream and the JSON writer's array from nothing, which was most of the bytes a batched run allocated on
    /// both sides, and its GC time was charged to StarSync in the benchmark); XML through the body stream.
    /// </summary>
    public static MediaWriter Create(bool json, HttpResponse response) =>
        json ? new JsonMediaWriter(response.BodyWriter) : new XmlMediaWriter(response.Body);

    /// <summary>Opens the root: XML &lt;MediaContainer&gt;, JSON {"MediaContainer":{.</summary>
    public abstract void StartContainer();

    public abstract void EndContainer();

    /// <summary>A bare JSON object (webhook payloads); XML has no use for it.</summary>
    public virtual void StartRootObject() => throw new NotSupportedException();

    public virtual void EndRootObject() => throw new NotSupportedException();

    /// <summary>A group of items: nothing in XML, a named array in JSON ("Metadata", "Directory", "Media"…).</summary>
    public abstract void StartList(string jsonName);

    public abstract void EndList();

    /// <summary>One item: an element in XML, an object in JSON (must be inside a list).</summary>
    public abstract void StartItem(string xmlTag);

    public abstract void EndItem();

    /// <summary>A single named child: an element in XML, a named object in JSON (e.g. Meta).</summary>
    public abstract void StartObject(string name);

    public abstract void EndObject();

    public abstract void Attr(string name, string? value);

    public abstract void Attr(string name, long value);

    /// <summary>Floats such as userRating: "10.0" in XML, 10.0 in JSON.</summary>
    public abstract void Float(string name, double value);

    /// <summary>"1"/"0" in XML, true/false in JSON.</summary>
    public abstract void Bool(string name, bool value);

    /// <summary>JSON-only raw number property that XML writes as an attribute string too.</summary>
    public void Attr(string name, int value) => Attr(name, (long)value);

    protected abstract void FlushToBuffer();

    public async ValueTask FlushIfNeededAsync(CancellationToken cancellationToken)
    {
        if (Buffer.Length >= FlushThreshold || PendingBytes >= FlushThreshold)
        {
            await FlushAsync(cancellationToken);
        }
    }

    public virtual async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        FlushToBuffer();
        if (_target is not null && Buffer.Length > 0)
        {
            await _target.WriteAsync(Buffer.GetBuffer().AsMemory(0, (int)Buffer.Length), cancellationToken);
            Buffer.SetLength(0);
        }
    }

    /// <summary>The whole output when no target stream was given (webhook payloads).</summary>
    public byte[] ToArray()
    {
        FlushToBuffer();
        return Buffer.ToArray();
    }

    protected virtual long PendingBytes => 0;

    public abstract ValueTask DisposeAsync();

    internal static string FormatFloat(double value) => value.ToString("0.0##", CultureInfo.InvariantCulture);

    private sealed class XmlMediaWriter : MediaWriter
    {
        private static readonly XmlWriterSettings s_settings = new()
        {
            Encoding = new UTF8Encoding(false),
            Indent = false,
            CloseOutput = false,
        };

        private readonly XmlWriter _xml;

        public XmlMediaWriter(Stream? target)
            : base(target)
        {
            _xml = XmlWriter.Create(Buffer, s_settings);
            _xml.WriteStartDocument();
        }

        public override void StartContainer() => _xml.WriteStartElement("MediaContainer");

        public override void EndContainer()
        {
            _xml.WriteEndElement();
            _xml.WriteEndDocument();
        }

        public override void StartList(string jsonName)
        {
        }

        public override void EndList()
        {
        }

        public override void StartItem(string xmlTag) => _xml.WriteStartElement(xmlTag);

        // Full end tags keep empty containers as <MediaContainer ...></MediaContainer>, as PMS writes them.
        public override void EndItem() => _xml.WriteEndElement();

        public override void StartObject(string name) => _xml.WriteStartElement(name);

        public override void EndObject() => _xml.WriteEndElement();

        public override void Attr(string name, string? value)
        {
            if (value is not null)
            {
                _xml.WriteAttributeString(name, value);
            }
        }

        public override void Attr(string name, long value) => _xml.WriteAttributeString(name, value.ToString(CultureInfo.InvariantCulture));

        public override void Float(string name, double value) => _xml.WriteAttributeString(name, FormatFloat(value));

        public override void Bool(string name, bool value) => _xml.WriteAttributeString(name, value ? "1" : "0");

        protected override void FlushToBuffer() => _xml.Flush();

        public override ValueTask DisposeAsync()
        {
            _xml.Dispose();
            Buffer.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class JsonMediaWriter : MediaWriter
    {
        private readonly Utf8JsonWriter _json;

        private readonly PipeWriter? _pipe;
        private long _flushedAt;

        public JsonMediaWriter(Stream? target)
            : base(target)
        {
            _json = new Utf8JsonWriter(Buffer, new JsonWriterOptions { SkipValidation = false });
        }

        public JsonMediaWriter(PipeWriter pipe)
            : base(null)
        {
            _pipe = pipe;
            _json = new Utf8JsonWriter(pipe, new JsonWriterOptions { SkipValidation = false });
        }

        public override async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (_pipe is null)
            {
                await base.FlushAsync(cancellationToken);
                return;
            }

            _json.Flush();
            _flushedAt = _json.BytesCommitted;
            await _pipe.FlushAsync(cancellationToken);
        }

        // Into the pipe, the writer commits as it goes: what was written since the last flush is still unsent.
        protected override long PendingBytes => _pipe is null ? _json.BytesPending : _json.BytesCommitted + _json.BytesPending - _flushedAt;

        public override void StartContainer()
        {
            _json.WriteStartObject();
            _json.WriteStartObject("MediaContainer");
        }

        public override void EndContainer()
        {
            _json.WriteEndObject();
            _json.WriteEndObject();
        }

        public override void StartRootObject() => _json.WriteStartObject();

        public override void EndRootObject() => _json.WriteEndObject();

        public override void StartList(string jsonName) => _json.WriteStartArray(jsonName);

        public override void EndList() => _json.WriteEndArray();

        public override void StartItem(string xmlTag) => _json.WriteStartObject();

        public override void EndItem() => _json.WriteEndObject();

        public override void StartObject(string name) => _json.WriteStartObject(name);

        public override void EndObject() => _json.WriteEndObject();

        public override void Attr(string name, string? value)
        {
            if (value is not null)
            {
                _json.WriteString(name, value);
            }
        }

        public override void Attr(string name, long value) => _json.WriteNumber(name, value);

        // PMS writes 10.0, not 10; keep the decimal so strict float parsers see a float.
        public override void Float(string name, double value)
        {
            _json.WritePropertyName(name);
            _json.WriteRawValue(FormatFloat(value), skipInputValidation: true);
        }

        public override void Bool(string name, bool value) => _json.WriteBoolean(name, value);

        protected override void FlushToBuffer() => _json.Flush();

        public override async ValueTask DisposeAsync()
        {
            await _json.DisposeAsync();
            await Buffer.DisposeAsync();
        }
    }
}
