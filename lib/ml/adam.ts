/**
 * Adam (Kingma & Ba 2015) as tfjs's AdamOptimizer computes it, one variable at a time. tfjs runs the update
 * of every variable inside one tidy, so the temporaries of all of them (new moments, bias-corrected moments,
 * the step: about six tensors the size of each variable) live until the last variable is done: some 6× the
 * model on top of its weights, gradients and moments. A 135M-parameter model then needs over 4 GiB, the most
 * the wasm backend can address, and aborts. Here each variable's update is its own tidy, so only one
 * variable's temporaries exist at a time. The arithmetic, the bias correction (β^t advanced once per step),
 * the state (getWeights/setWeights, for resumed runs) and the results are tfjs's own.
 */
import { tf } from './backend';

type Moment = { originalName: string; variable: tf.Variable };
type AdamInternals = { accBeta1: tf.Variable; accBeta2: tf.Variable; accumulatedFirstMoment: Moment[]; accumulatedSecondMoment: Moment[]; beta1: number; beta2: number; epsilon: number; learningRate: number; incrementIterations(): void };

class VariableByVariableAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const self = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const oneMinusAccBeta1 = tf.sub(1, self.accBeta1);
    const oneMinusAccBeta2 = tf.sub(1, self.accBeta2);
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
      if (!gradient) return;
      tf.tidy(() => {
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const newM = tf.add(tf.mul(m, self.beta1), tf.mul(gradient, 1 - self.beta1));
        const newV = tf.add(tf.mul(v, self.beta2), tf.mul(tf.square(gradient), 1 - self.beta2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), self.epsilon)), -self.learningRate), value));
      });
    });
    oneMinusAccBeta1.dispose();
    oneMinusAccBeta2.dispose();
    tf.tidy(() => {
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}

/** Adam with tfjs's defaults (β₁ 0.9, β₂ 0.999, the backend's ε), updating one variable at a time. */
export function createAdam(learningRate: number): tf.AdamOptimizer {
  return new VariableByVariableAdam(learningRate, 0.9, 0.999);
}
