using System.Globalization;
using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Samples.CompiledIntoApp;

// Classifies Fashion-MNIST test images with a CNN whose trained weights ship beside the program
// (model.safetensors). `--train DATA OUT` trains those weights once with the eager engine.
var inv = CultureInfo.InvariantCulture;
string baseDirectory = AppContext.BaseDirectory;
string weights = Path.Combine(baseDirectory, "model.safetensors");
string data = Path.Combine(baseDirectory, "data");
int? count = null;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--train":
            string trainData = Next(), output = Next();
            Train(trainData, output);
            return 0;
        case "--weights": weights = Next(); break;
        case "--data": data = Next(); break;
        case "--count": count = int.Parse(Next(), inv); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}\n{Usage}");
            return 2;
    }
}

var model = new FashionCnn();
model.Load(weights);
model.Eval();
var test = FashionMnist.Load(data, train: false);
int n = Math.Min(count ?? test.Count, test.Count);
// Batches of 100 keep the activations small (a 1,000-image batch would allocate 50 MB at the first conv).
var predicted = new List<long>(n);
using (Autograd.NoGrad())
{
    for (int start = 0; start < n; start += 100)
        predicted.AddRange(model.Forward(test.Images.Narrow(0, start, Math.Min(100, n - start))).Argmax(1).ToInt64Array());
}
long[] truth = test.Labels.Narrow(0, 0, n).ToInt64Array();

long parameters = model.Parameters().Sum(p => p.NumEl);
Console.WriteLine($"FashionCnn ({parameters.ToString("N0", inv)} parameters) from {Path.GetFileName(weights)}");
for (int i = 0; i < Math.Min(n, 10); i++)
    Console.WriteLine($"image {i}: {FashionMnist.Classes[(int)predicted[i]]} (label {FashionMnist.Classes[(int)truth[i]]})");
int correct = predicted.Zip(truth).Count(pair => pair.First == pair.Second);
Console.WriteLine($"accuracy: {correct}/{n} = {(100.0 * correct / n).ToString("F2", inv)} %");
return 0;

// Trains the model from seed 0 on the training images in dataDirectory and writes its weights to output.
static void Train(string dataDirectory, string output)
{
    const int epochs = 8;
    Tensor.ManualSeed(0);
    var model = new FashionCnn();
    var optimizer = new Adam(model.Parameters(), lr: 1e-3);
    var criterion = new CrossEntropyLoss();
    var loader = new DataLoader(FashionMnist.Load(dataDirectory, train: true), batchSize: 64, shuffle: true, generator: new Generator(0));
    for (int epoch = 1; epoch <= epochs; epoch++)
    {
        double lossSum = 0;
        int seen = 0;
        foreach (var batch in loader)
        {
            optimizer.ZeroGrad();
            var loss = criterion.Forward(model.Forward(batch[0]), batch[1]);
            loss.Backward();
            optimizer.Step();
            lossSum += loss.Item() * batch[1].Size(0);
            seen += batch[1].Size(0);
        }
        Console.WriteLine($"epoch {epoch}: train loss {(lossSum / seen).ToString("F4", CultureInfo.InvariantCulture)}");
    }
    model.Save(output);
    Console.WriteLine($"wrote {output}");
}

partial class Program
{
    const string Usage = """
        usage: CompiledIntoApp [--count N] [--weights FILE] [--data DIR]
               CompiledIntoApp --train DATA_DIR OUTPUT.safetensors
          --count N       classify the first N test images only (default: all)
          --weights FILE  the trained weights (default: model.safetensors beside the program)
          --data DIR      the folder with t10k-images/labels (default: data/ beside the program)
          --train         train the weights from seed 0 on DATA_DIR's training images and write them
        """;
}
