using System.Globalization;

namespace ShapeSafe.Tensorboard;

/// <summary>
/// The three summaries of TensorBoard's hparams plugin (<c>HParamsPluginData</c> in the plugin's metadata): the
/// experiment (hparam and metric names), the session start (the values) and the session end (status success).
/// </summary>
internal static class Hparams
{
    const string Plugin = "hparams";

    public static (ProtoMessage Experiment, ProtoMessage SessionStart, ProtoMessage SessionEnd) Build(
        IReadOnlyDictionary<string, object> hparams, IReadOnlyDictionary<string, double> metrics)
    {
        var experiment = new ProtoMessage();
        var start = new ProtoMessage();
        foreach (var (name, value) in hparams)
        {
            // HParamInfo: name (1), type (4): DATA_TYPE_STRING 1, DATA_TYPE_BOOL 2, DATA_TYPE_FLOAT64 3.
            var (protoValue, type) = Value(name, value);
            experiment.Message(4, new ProtoMessage().String(1, name).Enum(4, type));
            // SessionStartInfo.hparams (1) is a map<string, google.protobuf.Value>: entries of key (1) and value (2).
            start.Message(1, new ProtoMessage().String(1, name).Message(2, protoValue));
        }
        foreach (var name in metrics.Keys)
            // MetricInfo: name (1) is a MetricName of group (1) and tag (2).
            experiment.Message(5, new ProtoMessage().Message(1, new ProtoMessage().String(2, name)));
        // SessionEndInfo: status (1) STATUS_SUCCESS = 1.
        var end = new ProtoMessage().Enum(1, 1);
        // HParamsPluginData: version (1) is 0, then experiment (2), session_start_info (3) or session_end_info (4).
        return (
            Summary("_hparams_/experiment", new ProtoMessage().Message(2, experiment)),
            Summary("_hparams_/session_start_info", new ProtoMessage().Message(3, start)),
            Summary("_hparams_/session_end_info", new ProtoMessage().Message(4, end)));
    }

    static ProtoMessage Summary(string tag, ProtoMessage pluginData)
    {
        // Summary.Value: tag (1), metadata (9) = SummaryMetadata { plugin_data (1) = PluginData { plugin_name (1), content (2) } }.
        var metadata = new ProtoMessage().Message(1, new ProtoMessage().String(1, Plugin).Bytes(2, pluginData.ToArray()));
        return new ProtoMessage().String(1, tag).Message(9, metadata);
    }

    // google.protobuf.Value: number_value (2), string_value (3), bool_value (4).
    static (ProtoMessage Value, int Type) Value(string name, object value) => value switch
    {
        bool b => (new ProtoMessage().Bool(4, b, always: true), 2),
        string s => (new ProtoMessage().String(3, s, always: true), 1),
        double or float or int or long or decimal => (new ProtoMessage().DoubleAlways(2, Convert.ToDouble(value, CultureInfo.InvariantCulture)), 3),
        _ => throw new ArgumentException($"AddHparams: hyperparameter '{name}' is a {value?.GetType().Name ?? "null"}; use a number, a string or a bool", nameof(value)),
    };
}
