Console.WriteLine("ShapeSafe views tour: coming with the tensor core.");
