import { loadPretrained } from '@pathgrad/nn';
import { zeros } from '@pathgrad/tensor';
const model = loadPretrained('mnist-mlp') as any;
const x1 = zeros([1, 1, 28, 28], 'float32');
for (let i = 0; i < 30000; i++) model.forward(x1);
