import numpy as np

from mypkg.common import scale
from other import backend

images = scale(np.zeros((2, 32, 32, 3)))
