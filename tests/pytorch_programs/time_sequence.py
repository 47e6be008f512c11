"""The time-sequence-prediction example of pytorch/examples: two stacked LSTM cells and a linear
read-out, stepped through sine waves one time step at a time by a Python loop, trained in
float64 with L-BFGS and a closure, then asked to continue the waves into the future. Shorter
and fewer waves than the example's 97 x 1000 (so that it runs in seconds), their random phase
shifts and the random weights made deterministic."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

# The example's generate_sine_wave.py: N waves of length L and period 2*pi*T, shifted
T = 4
L = 40
N = 7
x = np.empty((N, L), "int64")
x[:] = np.array(range(L)) + (np.arange(N) * 37 % (8 * T) - 4 * T).reshape(N, 1)
data = np.sin(x / 1.0 / T).astype("float64")


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)

        for input_t in input.chunk(input.size(1), dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):  # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


if __name__ == "__main__":
    steps = 2
    # load data and make training set
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    # build the model
    seq = Sequence()
    seq.double()
    print(seq, input.dtype, input.shape)
    with torch.no_grad():
        for i, p in enumerate(seq.parameters()):
            wave = torch.cos(torch.arange(p.numel(), dtype=torch.double) * (i + 0.6))
            p.copy_(wave.view(p.shape) / 51 ** 0.5)
    criterion = nn.MSELoss()
    # use LBFGS as optimizer since we can load the whole data to train
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    # begin to train
    for i in range(steps):
        print("STEP: ", i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print("loss:", loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        # begin to predict, no need to track gradient here
        with torch.no_grad():
            future = 20
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print("test loss:", loss.item())
            y = pred.detach().numpy()
        print(y.shape, y.dtype, np.round(y[0, -future::5], 4))
