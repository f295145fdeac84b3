namespace ShapeSafe.Kernels.Sorting;

/// <summary>
/// GCC libstdc++'s <c>std::sort</c> (introsort with a final insertion sort), <c>std::partial_sort</c> (heap select
/// and sort_heap) and <c>std::nth_element</c> (introselect), step for step. LibTorch's CPU sort (unstable) and
/// topk run these on (value, position) pairs, so the order they leave equal values in is LibTorch's only when the
/// same steps run; the orders are those of ATen's comparators (NaN ranks as the largest value).
/// </summary>
internal static class StdSort
{
    public struct Entry<T>
    {
        public T Value;
        public long Index;
    }

    public interface IOrder<T>
    {
        /// <summary>Whether a ranks strictly before b.</summary>
        bool Before(T a, T b);
    }

    /// <summary>ATen's KeyValueCompDesc (largest) or KeyValueCompAsc: NaN above every number.</summary>
    public readonly struct FloatOrder(bool largest) : IOrder<float>
    {
        public bool Before(float a, float b) => largest
            ? (float.IsNaN(a) && !float.IsNaN(b)) || a > b
            : (!float.IsNaN(a) && float.IsNaN(b)) || a < b;
    }

    public readonly struct LongOrder(bool largest) : IOrder<long>
    {
        public bool Before(long a, long b) => largest ? a > b : a < b;
    }

    /// <summary>libstdc++'s selection and sorting algorithms over [first, last) of one array.</summary>
    public readonly struct Sorter<T, TOrder>(Entry<T>[] a, TOrder order) where TOrder : struct, IOrder<T>
    {
        const int Threshold = 16;

        bool Less(in Entry<T> x, in Entry<T> y) => order.Before(x.Value, y.Value);

        void Swap(int i, int j) => (a[i], a[j]) = (a[j], a[i]);

        static int Log2(int n)
        {
            int log = 0;
            while ((n >>= 1) != 0) log++;
            return log;
        }

        /// <summary>std::partial_sort: the best middle − first elements, in order, at the front.</summary>
        public void PartialSort(int first, int middle, int last)
        {
            HeapSelect(first, middle, last);
            SortHeap(first, middle);
        }

        /// <summary>std::nth_element (introselect).</summary>
        public void NthElement(int first, int nth, int last)
        {
            if (first == last || nth == last) return;
            int depth = 2 * Log2(last - first);
            while (last - first > 3)
            {
                if (depth == 0)
                {
                    HeapSelect(first, nth + 1, last);
                    Swap(first, nth);
                    return;
                }
                depth--;
                int cut = PartitionPivot(first, last);
                if (cut <= nth) first = cut;
                else last = cut;
            }
            InsertionSort(first, last);
        }

        /// <summary>std::sort (introsort, then the final insertion sort).</summary>
        public void Sort(int first, int last)
        {
            if (last - first < 2) return;
            IntrosortLoop(first, last, 2 * Log2(last - first));
            if (last - first > Threshold)
            {
                InsertionSort(first, first + Threshold);
                for (int i = first + Threshold; i < last; i++) UnguardedLinearInsert(i);
            }
            else
            {
                InsertionSort(first, last);
            }
        }

        void IntrosortLoop(int first, int last, int depth)
        {
            while (last - first > Threshold)
            {
                if (depth == 0)
                {
                    PartialSort(first, last, last);
                    return;
                }
                depth--;
                int cut = PartitionPivot(first, last);
                IntrosortLoop(cut, last, depth);
                last = cut;
            }
        }

        int PartitionPivot(int first, int last)
        {
            int mid = first + (last - first) / 2;
            MoveMedianToFirst(first, first + 1, mid, last - 1);
            return UnguardedPartition(first + 1, last, first);
        }

        void MoveMedianToFirst(int result, int x, int y, int z)
        {
            if (Less(a[x], a[y]))
            {
                if (Less(a[y], a[z])) Swap(result, y);
                else if (Less(a[x], a[z])) Swap(result, z);
                else Swap(result, x);
            }
            else if (Less(a[x], a[z])) Swap(result, x);
            else if (Less(a[y], a[z])) Swap(result, z);
            else Swap(result, y);
        }

        int UnguardedPartition(int first, int last, int pivot)
        {
            while (true)
            {
                while (Less(a[first], a[pivot])) first++;
                last--;
                while (Less(a[pivot], a[last])) last--;
                if (first >= last) return first;
                Swap(first, last);
                first++;
            }
        }

        void InsertionSort(int first, int last)
        {
            if (first == last) return;
            for (int i = first + 1; i < last; i++)
            {
                if (Less(a[i], a[first]))
                {
                    var value = a[i];
                    Array.Copy(a, first, a, first + 1, i - first);
                    a[first] = value;
                }
                else
                {
                    UnguardedLinearInsert(i);
                }
            }
        }

        void UnguardedLinearInsert(int last)
        {
            var value = a[last];
            int next = last - 1;
            while (Less(value, a[next]))
            {
                a[last] = a[next];
                last = next;
                next--;
            }
            a[last] = value;
        }

        void HeapSelect(int first, int middle, int last)
        {
            MakeHeap(first, middle);
            for (int i = middle; i < last; i++)
                if (Less(a[i], a[first])) PopHeap(first, middle, i);
        }

        void SortHeap(int first, int last)
        {
            while (last - first > 1)
            {
                last--;
                PopHeap(first, last, last);
            }
        }

        void MakeHeap(int first, int last)
        {
            int len = last - first;
            if (len < 2) return;
            int parent = (len - 2) / 2;
            while (true)
            {
                AdjustHeap(first, parent, len, a[first + parent]);
                if (parent == 0) return;
                parent--;
            }
        }

        void PopHeap(int first, int last, int result)
        {
            var value = a[result];
            a[result] = a[first];
            AdjustHeap(first, 0, last - first, value);
        }

        void AdjustHeap(int first, int hole, int len, Entry<T> value)
        {
            int top = hole, child = hole;
            while (child < (len - 1) / 2)
            {
                child = 2 * (child + 1);
                if (Less(a[first + child], a[first + child - 1])) child--;
                a[first + hole] = a[first + child];
                hole = child;
            }
            if ((len & 1) == 0 && child == (len - 2) / 2)
            {
                child = 2 * (child + 1);
                a[first + hole] = a[first + child - 1];
                hole = child - 1;
            }
            // __push_heap
            int parent = (hole - 1) / 2;
            while (hole > top && Less(a[first + parent], value))
            {
                a[first + hole] = a[first + parent];
                hole = parent;
                parent = (hole - 1) / 2;
            }
            a[first + hole] = value;
        }
    }
}
