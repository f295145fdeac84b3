using System.Buffers.Binary;
using System.Text;

namespace ShapeSafe.Training.Tests;

/// <summary>One decoded event: its step and wall time, and the first summary value's parts when it has a summary.</summary>
public sealed record Event(double WallTime, long Step, string? FileVersion, string? Tag, float? Value,
    HistogramData? Histogram, string? PluginName, byte[]? PluginContent, byte[][] StringValues);

public sealed record HistogramData(double Min, double Max, double Num, double Sum, double SumSquares, double[] Limits, double[] Buckets);

/// <summary>
/// Reads TensorBoard event files written by anyone: checks every record's TFRecord framing and both masked CRC-32Cs
/// (a table-driven CRC, separate from the writer's), and decodes Event protobufs by hand from the wire format.
/// </summary>
public static class EventFileReader
{
    public static List<Event> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        var events = new List<Event>();
        int at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 12) throw new InvalidDataException($"truncated record header at {at}");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
            if (lengthCrc != Masked(bytes.AsSpan(at, 8))) throw new InvalidDataException($"bad length CRC at {at}");
            at += 12;
            if ((ulong)(bytes.Length - at) < length + 4) throw new InvalidDataException($"truncated record at {at}");
            var data = bytes.AsSpan(at, (int)length);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + (int)length));
            if (dataCrc != Masked(data)) throw new InvalidDataException($"bad data CRC at {at}");
            events.Add(DecodeEvent(data.ToArray()));
            at += (int)length + 4;
        }
        return events;
    }

    static Event DecodeEvent(byte[] data)
    {
        double wall = 0;
        long step = 0;
        string? version = null, tag = null, plugin = null;
        float? value = null;
        HistogramData? histogram = null;
        byte[]? content = null;
        var strings = new List<byte[]>();
        foreach (var f in Fields(data))
        {
            switch (f.Number)
            {
                case 1: wall = BitConverter.Int64BitsToDouble((long)f.Fixed); break;
                case 2: step = (long)f.Varint; break;
                case 3: version = Encoding.UTF8.GetString(f.Bytes!); break;
                case 5:
                    var firstValue = Fields(f.Bytes!).First(v => v.Number == 1).Bytes!;
                    foreach (var v in Fields(firstValue))
                    {
                        switch (v.Number)
                        {
                            case 1: tag = Encoding.UTF8.GetString(v.Bytes!); break;
                            case 2: value = BitConverter.Int32BitsToSingle((int)v.Fixed); break;
                            case 5: histogram = DecodeHistogram(v.Bytes!); break;
                            case 8:
                                foreach (var t in Fields(v.Bytes!)) if (t.Number == 8) strings.Add(t.Bytes!);
                                break;
                            case 9:
                                var pluginData = Fields(v.Bytes!).First(m => m.Number == 1).Bytes!;
                                foreach (var p in Fields(pluginData))
                                {
                                    if (p.Number == 1) plugin = Encoding.UTF8.GetString(p.Bytes!);
                                    if (p.Number == 2) content = p.Bytes;
                                }
                                break;
                        }
                    }
                    break;
            }
        }
        return new Event(wall, step, version, tag, value, histogram, plugin, content, strings.ToArray());
    }

    static HistogramData DecodeHistogram(byte[] data)
    {
        var d = new double[5];
        double[] limits = [], buckets = [];
        foreach (var f in Fields(data))
        {
            if (f.Number <= 5) d[f.Number - 1] = BitConverter.Int64BitsToDouble((long)f.Fixed);
            else if (f.Number == 6) limits = Doubles(f.Bytes!);
            else if (f.Number == 7) buckets = Doubles(f.Bytes!);
        }
        return new HistogramData(d[0], d[1], d[2], d[3], d[4], limits, buckets);
    }

    static double[] Doubles(byte[] packed) =>
        Enumerable.Range(0, packed.Length / 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(packed.AsSpan(i * 8))).ToArray();

    public readonly record struct Field(int Number, int WireType, ulong Varint, ulong Fixed, byte[]? Bytes);

    /// <summary>The fields of one message, decoded from the protobuf wire format.</summary>
    public static List<Field> Fields(byte[] data)
    {
        var fields = new List<Field>();
        int at = 0;
        while (at < data.Length)
        {
            ulong key = ReadVarint(data, ref at);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add(new Field(number, wire, ReadVarint(data, ref at), 0, null)); break;
                case 1: fields.Add(new Field(number, wire, 0, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)), null)); at += 8; break;
                case 2:
                    int length = (int)ReadVarint(data, ref at);
                    fields.Add(new Field(number, wire, 0, 0, data.AsSpan(at, length).ToArray()));
                    at += length;
                    break;
                case 5: fields.Add(new Field(number, wire, 0, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)), null)); at += 4; break;
                default: throw new InvalidDataException($"wire type {wire} of field {number}");
            }
        }
        return fields;
    }

    static ulong ReadVarint(byte[] data, ref int at)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
    }

    static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }
}
