using Google.Protobuf;

namespace ShapeSafe.Tensorboard;

/// <summary>
/// Writes one protocol-buffer message with Google.Protobuf's <see cref="CodedOutputStream"/>. TensorBoard's event
/// files need only a handful of TensorFlow's messages (Event, Summary, HistogramProto, TensorProto and the hparams
/// plugin's); they are written field by field here instead of generating the whole of TensorFlow's protos.
/// Fields at their default value are left out, as proto3 does.
/// </summary>
internal sealed class ProtoMessage
{
    readonly MemoryStream _buffer = new();
    readonly CodedOutputStream _out;

    public ProtoMessage() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

    public ProtoMessage Double(int field, double value)
    {
        if (value == 0 && !double.IsNegative(value)) return this;
        _out.WriteTag(field, WireFormat.WireType.Fixed64);
        _out.WriteDouble(value);
        return this;
    }

    /// <summary>A double even when it is 0 (a oneof member, whose presence matters).</summary>
    public ProtoMessage DoubleAlways(int field, double value)
    {
        _out.WriteTag(field, WireFormat.WireType.Fixed64);
        _out.WriteDouble(value);
        return this;
    }

    /// <summary>A float even when it is 0 (<c>simple_value</c> is a oneof member).</summary>
    public ProtoMessage FloatAlways(int field, float value)
    {
        _out.WriteTag(field, WireFormat.WireType.Fixed32);
        _out.WriteFloat(value);
        return this;
    }

    public ProtoMessage Int64(int field, long value)
    {
        if (value == 0) return this;
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt64(value);
        return this;
    }

    /// <summary>An int64 even when it is 0 (an element of a repeated field, a oneof member).</summary>
    public ProtoMessage Int64Always(int field, long value)
    {
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteInt64(value);
        return this;
    }

    public ProtoMessage Enum(int field, int value)
    {
        if (value == 0) return this;
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteEnum(value);
        return this;
    }

    public ProtoMessage Bool(int field, bool value, bool always = false)
    {
        if (!value && !always) return this;
        _out.WriteTag(field, WireFormat.WireType.Varint);
        _out.WriteBool(value);
        return this;
    }

    public ProtoMessage String(int field, string value, bool always = false)
    {
        if (value.Length == 0 && !always) return this;
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteString(value);
        return this;
    }

    public ProtoMessage Bytes(int field, ReadOnlySpan<byte> value, bool always = false)
    {
        if (value.Length == 0 && !always) return this;
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteBytes(ByteString.CopyFrom(value));
        return this;
    }

    /// <summary>An embedded message (written even when empty: its presence can matter).</summary>
    public ProtoMessage Message(int field, ProtoMessage message) => Bytes(field, message.ToArray(), always: true);

    /// <summary>A packed repeated double field.</summary>
    public ProtoMessage PackedDoubles(int field, IReadOnlyList<double> values)
    {
        if (values.Count == 0) return this;
        _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _out.WriteLength(values.Count * sizeof(double));
        foreach (var v in values) _out.WriteDouble(v);
        return this;
    }

    public byte[] ToArray()
    {
        _out.Flush();
        return _buffer.ToArray();
    }
}
