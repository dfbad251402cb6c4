import { callAsResearcher, withProject } from '../project-session';
import { intOption, stringOption, type Command } from '../command';

export const featuresCommand: Command = {
  name: 'features',
  summary: "print an SAE's mined feature statistics, or one feature with its examples",
  usage: 'sightline features --project DIR --sae NAME [--feature N] [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    sae: { type: 'string', required: true, description: 'SAE name' },
    feature: { type: 'string', description: 'feature index: print its histogram and examples' },
  },
  run: async (options, output) => {
    const value = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'features.ofSae', {
        sae: stringOption(options, 'sae'),
        ...(options.feature !== undefined ? { feature: intOption(options, 'feature') } : {}),
      }),
    );
    output.result(value, () => {
      if ('features' in value)
        return value.features
          .map(
            (f) =>
              `${f.index}\tfires ${f.fireCount}\tdensity ${f.density.toExponential(3)}\tmax ${f.maxActivation.toFixed(3)}\t${f.modality}`,
          )
          .join('\n');
      return JSON.stringify(value, null, 2);
    });
  },
};
